//! E-mails to people, by SMTP (`lettre`), in French, plain text and HTML. Without an
//! SMTP server, development logs each message as "would send", with neither address
//! nor content; production keeps them queued (retried for 24 h) rather than log.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Clone, Debug)]
pub struct MailerConfig {
    /// `smtp://host:port` (plain, for a local relay), `smtp://host:port?tls=required`
    /// (STARTTLS) or `smtps://user:password@host` (TLS); None: log only.
    pub smtp_url: Option<String>,
    /// The sender, e.g. `Passerelle <ne-pas-repondre@pimms.example>`.
    pub from: String,
    /// Production: no "would send" log, ever.
    pub production: bool,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Log,
    /// Production without a server: nothing leaves, nothing is logged.
    Held,
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

/// One message to one person.
#[derive(Clone, Debug)]
pub struct Email {
    /// What kind of message, for the log (never the address or the content).
    pub template: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What became of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Sent,
    /// No SMTP server: logged as "would send".
    Logged,
}

impl Mailer {
    /// A bad URL or sender is an error naming the setting (the server stops at start).
    pub fn new(config: &MailerConfig) -> Result<Self, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|_| "PASSERELLE_MAIL_FROM: not an e-mail address".to_owned())?;
        let transport = match &config.smtp_url {
            None if config.production => Transport::Held,
            None => Transport::Log,
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|_| "PASSERELLE_SMTP_URL: not an SMTP URL".to_owned())?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build(),
            ),
        };
        Ok(Self { transport, from })
    }

    /// Sends `email`; the error is a fixed description (stored and shown as such).
    pub async fn send(&self, email: Email) -> Result<Sent, &'static str> {
        let transport = match &self.transport {
            Transport::Log => {
                tracing::info!(
                    template = email.template,
                    "would send an e-mail (no SMTP server configured)"
                );
                return Ok(Sent::Logged);
            }
            Transport::Held => return Err("aucun serveur SMTP configuré"),
            Transport::Smtp(t) => t,
        };
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| "adresse du destinataire invalide")?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            .multipart(MultiPart::alternative_plain_html(email.text, email.html))
            .map_err(|_| "message impossible à composer")?;
        transport.send(message).await.map_err(|e| {
            if e.is_permanent() {
                "refusé par le serveur SMTP"
            } else {
                "serveur SMTP injoignable ou indisponible"
            }
        })?;
        Ok(Sent::Sent)
    }
}

/// Text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A message of paragraphs, as plain text and as HTML.
pub fn compose(
    template: &'static str,
    to: String,
    subject: String,
    paragraphs: &[String],
) -> Email {
    let text = format!(
        "Bonjour,\n\n{}\n\n— Passerelle, réseau PIMMS\n",
        paragraphs.join("\n\n")
    );
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape(p)))
        .collect();
    let html = format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body><p>Bonjour,</p>{body}<p>— Passerelle, réseau PIMMS</p></body></html>",
        escape(&subject)
    );
    Email {
        template,
        to,
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let e = compose(
            "t",
            "a@b.example".into(),
            "Sujet".into(),
            &["PIMMS <Lyon> & Cie".into()],
        );
        assert!(e.text.contains("PIMMS <Lyon> & Cie"));
        assert!(e.html.contains("PIMMS &lt;Lyon&gt; &amp; Cie"));
    }

    #[tokio::test]
    async fn without_a_server_development_logs_and_production_holds() {
        let config = |production| MailerConfig {
            smtp_url: None,
            from: "Passerelle <ne-pas-repondre@pimms.example>".into(),
            production,
        };
        let e = compose("invitation", "a@b.example".into(), "Sujet".into(), &[]);
        let dev = Mailer::new(&config(false)).unwrap();
        assert_eq!(dev.send(e.clone()).await, Ok(Sent::Logged));
        let prod = Mailer::new(&config(true)).unwrap();
        assert_eq!(prod.send(e).await, Err("aucun serveur SMTP configuré"));
    }

    #[test]
    fn settings_are_checked() {
        let ok = MailerConfig {
            smtp_url: Some("smtp://127.0.0.1:2525".into()),
            from: "Passerelle <ne-pas-repondre@pimms.example>".into(),
            production: false,
        };
        assert!(Mailer::new(&ok).is_ok());
        let bad_from = MailerConfig {
            from: "personne".into(),
            ..ok.clone()
        };
        assert!(Mailer::new(&bad_from).is_err());
        let bad_url = MailerConfig {
            smtp_url: Some("http://example.org".into()),
            ..ok
        };
        assert!(Mailer::new(&bad_url).is_err());
    }
}
