//! The size of a GraphQL document as it will run, measured before
//! async-graphql validates it.
//!
//! Validation walks every fragment spread where it stands, so a document of
//! fragments that each spread the next one twice costs twice as much per
//! level: 30 levels in a kilobyte would hold a worker for minutes. Here each
//! fragment is measured once and its size reused wherever it is spread, so
//! the measure costs time linear in the document's text, and a document that
//! expands past the limits is refused before anything else looks at it.
//! Every occurrence counts: a field asked for twice under one name is still
//! resolved twice.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// What one document may expand to.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Fields in all, every fragment spread expanded and every duplicate counted.
    pub fields: usize,
    pub aliases: usize,
    pub root_fields: usize,
    pub depth: usize,
    /// Fragment spreads written in the document.
    pub spreads: usize,
}

/// The expanded size of a selection set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Size {
    fields: usize,
    aliases: usize,
    depth: usize,
}

impl Size {
    fn add(self, other: Size) -> Size {
        Size {
            fields: self.fields.saturating_add(other.fields),
            aliases: self.aliases.saturating_add(other.aliases),
            depth: self.depth.max(other.depth),
        }
    }
}

/// Why a document is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the query expands to {0} fields; at most {1} are allowed")]
    Fields(usize, usize),
    #[error("the query uses {0} aliases; at most {1} are allowed")]
    Aliases(usize, usize),
    #[error("the query asks for {0} root fields; at most {1} are allowed")]
    RootFields(usize, usize),
    #[error("the query is nested {0} levels deep; at most {1} are allowed")]
    Depth(usize, usize),
    #[error("the query spreads fragments {0} times; at most {1} are allowed")]
    Spreads(usize, usize),
    #[error("fragment `{0}` spreads itself")]
    Cycle(String),
}

struct Measure<'d> {
    doc: &'d ExecutableDocument,
    known: HashMap<&'d str, Size>,
    /// Fragments being measured: meeting one again is a cycle.
    open: Vec<&'d str>,
}

impl<'d> Measure<'d> {
    fn set(&mut self, set: &'d SelectionSet) -> Result<Size, Refusal> {
        let mut size = Size::default();
        for item in &set.items {
            let part = match &item.node {
                Selection::Field(f) => {
                    let inner = self.set(&f.node.selection_set.node)?;
                    Size {
                        fields: inner.fields.saturating_add(1),
                        aliases: inner.aliases.saturating_add(usize::from(f.node.alias.is_some())),
                        depth: inner.depth.saturating_add(1),
                    }
                }
                Selection::InlineFragment(i) => self.set(&i.node.selection_set.node)?,
                Selection::FragmentSpread(s) => self.fragment(s.node.fragment_name.node.as_str())?,
            };
            size = size.add(part);
        }
        Ok(size)
    }

    /// A fragment's size, measured the first time it is spread.
    fn fragment(&mut self, name: &'d str) -> Result<Size, Refusal> {
        if let Some(size) = self.known.get(name) {
            return Ok(*size);
        }
        if self.open.contains(&name) {
            return Err(Refusal::Cycle(name.to_owned()));
        }
        // An unknown fragment is validation's to report.
        let Some((_, def)) = self.doc.fragments.iter().find(|(n, _)| n.as_str() == name) else {
            return Ok(Size::default());
        };
        self.open.push(name);
        let size = self.set(&def.node.selection_set.node)?;
        self.open.pop();
        self.known.insert(name, size);
        Ok(size)
    }
}

fn spreads(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => spreads(&f.node.selection_set.node),
            Selection::InlineFragment(i) => spreads(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 1,
        })
        .fold(0, usize::saturating_add)
}

/// Root fields of a selection set, through fragments at the root.
fn root_fields<'d>(m: &mut Measure<'d>, set: &'d SelectionSet) -> Result<usize, Refusal> {
    let mut n = 0usize;
    for item in &set.items {
        n = n.saturating_add(match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(i) => root_fields(m, &i.node.selection_set.node)?,
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.as_str();
                match m.doc.fragments.iter().find(|(n, _)| n.as_str() == name) {
                    Some((_, def)) if !m.open.contains(&name) => {
                        m.open.push(name);
                        let n = root_fields(m, &def.node.selection_set.node);
                        m.open.pop();
                        n?
                    }
                    Some(_) => return Err(Refusal::Cycle(name.to_owned())),
                    None => 0,
                }
            }
        });
    }
    Ok(n)
}

/// Refuses a document that would expand past `bounds`. Operations are
/// measured each on its own (only one runs), fragments once.
pub fn check(doc: &ExecutableDocument, bounds: &Bounds) -> Result<(), Refusal> {
    let written = doc
        .operations
        .iter()
        .map(|(_, op)| spreads(&op.node.selection_set.node))
        .chain(
            doc.fragments
                .values()
                .map(|f| spreads(&f.node.selection_set.node)),
        )
        .fold(0, usize::saturating_add);
    if written > bounds.spreads {
        return Err(Refusal::Spreads(written, bounds.spreads));
    }
    let mut m = Measure {
        doc,
        known: HashMap::new(),
        open: Vec::new(),
    };
    for (_, op) in doc.operations.iter() {
        let set = &op.node.selection_set.node;
        let size = m.set(set)?;
        if size.fields > bounds.fields {
            return Err(Refusal::Fields(size.fields, bounds.fields));
        }
        if size.aliases > bounds.aliases {
            return Err(Refusal::Aliases(size.aliases, bounds.aliases));
        }
        if size.depth > bounds.depth {
            return Err(Refusal::Depth(size.depth, bounds.depth));
        }
        let roots = root_fields(&mut m, set)?;
        if roots > bounds.root_fields {
            return Err(Refusal::RootFields(roots, bounds.root_fields));
        }
    }
    // A fragment no operation spreads is still validated: measure it too.
    for name in doc.fragments.keys() {
        let size = m.fragment(name.as_str())?;
        if size.fields > bounds.fields {
            return Err(Refusal::Fields(size.fields, bounds.fields));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    const BOUNDS: Bounds = Bounds {
        fields: 100,
        aliases: 10,
        root_fields: 20,
        depth: 5,
        spreads: 200,
    };

    fn checked(q: &str) -> Result<(), Refusal> {
        match parse_query(q) {
            Ok(doc) => check(&doc, &BOUNDS),
            Err(e) => panic!("{q} does not parse: {e}"),
        }
    }

    /// `levels` fragments, each spreading the next twice.
    fn fan_out(levels: usize) -> String {
        let mut q = String::from("{ ...F0 }");
        for i in 0..levels {
            q.push_str(&format!(
                " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
                n = i + 1
            ));
        }
        q.push_str(&format!(" fragment F{levels} on Query {{ me {{ subject }} }}"));
        q
    }

    #[test]
    fn fragment_fan_out_is_measured_once_per_fragment() {
        assert_eq!(checked(&fan_out(6)), Err(Refusal::Fields(128, 100)));
        // 2^90 fields: measured in linear time, saturating, refused.
        assert!(matches!(checked(&fan_out(90)), Err(Refusal::Fields(_, 100))));
        assert_eq!(checked(&fan_out(4)), Ok(()));
        assert_eq!(checked(&fan_out(5)), Err(Refusal::RootFields(32, 20)));
    }

    #[test]
    fn duplicates_count_each_time() {
        let q = format!("{{ authorities {{ {} }} }}", "slug ".repeat(100));
        assert_eq!(checked(&q), Err(Refusal::Fields(101, 100)));
    }

    #[test]
    fn aliases_count_through_fragments() {
        let q = "{ ...A ...A } fragment A on Query { a: me { subject } b: me { subject } c: me { subject } d: me { subject } e: me { subject } f: me { subject } }";
        assert_eq!(checked(q), Err(Refusal::Aliases(12, 10)));
    }

    #[test]
    fn root_fields_and_depth_count_through_fragments() {
        let q = format!(
            "{{ {} }} fragment R on Query {{ me {{ subject }} authorities {{ slug }} plan(id: 1) {{ id }} }}",
            "...R ".repeat(7)
        );
        assert_eq!(checked(&q), Err(Refusal::RootFields(21, 20)));
        let q = "{ ...D } fragment D on Query { a { b { c { d { e { f } } } } } }";
        assert_eq!(checked(q), Err(Refusal::Depth(6, 5)));
    }

    #[test]
    fn cycles_and_spread_counts_are_refused() {
        assert_eq!(
            checked("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
            Err(Refusal::Cycle("A".to_owned()))
        );
        let q = format!(
            "{{ {} }} fragment A on Query {{ me {{ subject }} }}",
            "...A ".repeat(201)
        );
        assert_eq!(checked(&q), Err(Refusal::Spreads(201, 200)));
    }

    #[test]
    fn unused_fragments_are_measured() {
        let q = format!(
            "{{ me {{ subject }} }} fragment U on Query {{ authorities {{ {} }} }}",
            "slug ".repeat(100)
        );
        assert_eq!(checked(&q), Err(Refusal::Fields(101, 100)));
    }
}
