//! Document limits async-graphql does not enforce: aliases and selected fields,
//! counted with fragments expanded and `__typename` included (async-graphql's
//! complexity ignores `__typename`, so `a1: __typename ... a9999: __typename` would
//! otherwise be free).

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult};
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_recursive_depth: usize,
    pub max_directives: usize,
    pub max_aliases: usize,
    pub max_fields: usize,
    pub max_batch: usize,
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // GraphiQL's introspection query nests 13 levels; our own object graph far less.
            max_depth: 16,
            max_complexity: 1000,
            max_recursive_depth: 32,
            max_directives: 8,
            max_aliases: 30,
            max_fields: 400,
            max_batch: 10,
            max_body_bytes: 256 * 1024,
        }
    }
}

/// The limits on aliases and fields, checked on each parsed document.
#[derive(Clone, Copy)]
pub(crate) struct DocumentLimits {
    max_aliases: usize,
    max_fields: usize,
}

impl DocumentLimits {
    pub(crate) fn new(l: &Limits) -> Self {
        Self {
            max_aliases: l.max_aliases,
            max_fields: l.max_fields,
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Count {
    fields: usize,
    aliases: usize,
}

impl Count {
    fn add(self, o: Count) -> Count {
        Count {
            fields: self.fields.saturating_add(o.fields),
            aliases: self.aliases.saturating_add(o.aliases),
        }
    }
}

struct Counter<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a str, Count>,
    visiting: Vec<&'a str>,
}

impl<'a> Counter<'a> {
    fn set(&mut self, set: &'a SelectionSet) -> Count {
        let mut c = Count::default();
        for sel in &set.items {
            let part = match &sel.node {
                Selection::Field(f) => Count {
                    fields: 1,
                    aliases: usize::from(f.node.alias.is_some()),
                }
                .add(self.set(&f.node.selection_set.node)),
                Selection::InlineFragment(f) => self.set(&f.node.selection_set.node),
                Selection::FragmentSpread(s) => self.fragment(s.node.fragment_name.node.as_str()),
            };
            c = c.add(part);
        }
        c
    }

    fn fragment(&mut self, name: &'a str) -> Count {
        if let Some(c) = self.memo.get(name) {
            return *c;
        }
        // A cycle is reported by validation later; count it as nothing here.
        if self.visiting.contains(&name) {
            return Count::default();
        }
        let Some((key, def)) = self.doc.fragments.get_key_value(name) else {
            return Count::default();
        };
        self.visiting.push(name);
        let c = self.set(&def.node.selection_set.node);
        self.visiting.pop();
        self.memo.insert(key.as_str(), c);
        c
    }
}

pub(crate) fn count(doc: &ExecutableDocument) -> (usize, usize) {
    let mut counter = Counter {
        doc,
        memo: HashMap::new(),
        visiting: Vec::new(),
    };
    let mut total = Count::default();
    for (_, op) in doc.operations.iter() {
        total = total.add(counter.set(&op.node.selection_set.node));
    }
    (total.fields, total.aliases)
}

impl DocumentLimits {
    /// Refuses a document over the limits.
    pub(crate) fn check(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        let (fields, aliases) = count(doc);
        if aliases > self.max_aliases {
            return Err(ServerError::new(
                format!(
                    "too many aliases: {aliases}, the limit is {}",
                    self.max_aliases
                ),
                None,
            ));
        }
        if fields > self.max_fields {
            return Err(ServerError::new(
                format!(
                    "too many fields selected: {fields}, the limit is {}",
                    self.max_fields
                ),
                None,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(q: &str) -> (usize, usize) {
        let doc = async_graphql::parser::parse_query(q).expect("valid query");
        count(&doc)
    }

    #[test]
    fn typename_aliases_are_counted() {
        assert_eq!(c("{ a: __typename b: __typename }"), (2, 2));
    }

    #[test]
    fn fragments_are_expanded() {
        let q =
            "query { viewer { ...F ...F } } fragment F on Viewer { a: __typename b: __typename }";
        assert_eq!(c(q), (5, 4));
    }

    #[test]
    fn fragment_cycles_do_not_loop() {
        let q = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A x: __typename }";
        assert_eq!(c(q), (1, 1));
    }
}
