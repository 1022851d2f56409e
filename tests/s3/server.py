"""A real S3-compatible server for the end-to-end tests (moto in server mode): it
listens on 127.0.0.1 on a free port, creates the bucket named on its command line,
prints the port on its first line, and serves until stdin closes. Any access key
and secret are accepted; objects live in memory.
"""

import logging
import socket
import sys

import boto3
from moto.server import ThreadedMotoServer

REGION = "eu-west-3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    bucket = sys.argv[1]
    # One line per request would interleave with the port on a shared terminal.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    print(port, flush=True)
    # The test ends the server by closing stdin (or by dying).
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
