//! Answers in the order asked. async-graphql resolves an object's fields
//! side by side and keeps each as it finishes, so a field that waits on the
//! database (a rating, a loader) lands after one that did not: the
//! response's keys come in completion order, not the selection set's. This
//! extension keeps the operation's document and puts every object of each
//! answer (queries, mutations and each subscription event) back in the
//! order its selection set names its fields.

use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextSubscribe,
};
use async_graphql::futures_util::StreamExt;
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Request, Response, ServerResult, Value, Variables};

pub struct SelectionOrder;

impl ExtensionFactory for SelectionOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Reorder::default())
    }
}

/// The operation of one request, once parsed: shared with a subscription's
/// stream, whose events come after the hooks that see the document.
#[derive(Default)]
struct Asked {
    operation_name: Option<String>,
    document: Option<Arc<ExecutableDocument>>,
}

#[derive(Default)]
struct Reorder(Arc<Mutex<Asked>>);

impl Reorder {
    fn asked(&self) -> std::sync::MutexGuard<'_, Asked> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn reordered(asked: &Mutex<Asked>, mut resp: Response) -> Response {
    let asked = asked.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(doc) = &asked.document else {
        return resp;
    };
    let name = asked.operation_name.as_deref();
    let operation = doc
        .operations
        .iter()
        .find(|(n, _)| name.is_none() || n.map(Name::as_str) == name);
    if let Some((_, op)) = operation {
        order(&mut resp.data, &[&op.node.selection_set.node], doc);
    }
    resp
}

/// Puts `value`'s keys in the order `sets` (every selection set that
/// selected it, merged) first name them, and so on down.
fn order(value: &mut Value, sets: &[&SelectionSet], doc: &ExecutableDocument) {
    match value {
        Value::List(items) => items.iter_mut().for_each(|v| order(v, sets, doc)),
        Value::Object(fields) => {
            let mut keys: IndexMap<&str, Vec<&SelectionSet>> = IndexMap::new();
            for set in sets {
                collect(set, doc, &mut keys);
            }
            let mut rest = std::mem::take(fields);
            for (key, subs) in keys {
                if let Some((name, mut v)) = rest.swap_remove_entry(key) {
                    order(&mut v, &subs, doc);
                    fields.insert(name, v);
                }
            }
            // Nothing is left unless a resolver answered a key no
            // selection names: kept, after the rest.
            fields.extend(rest);
        }
        _ => {}
    }
}

/// The response keys a selection set names, fragments included, each with
/// the selection sets below it. Validation refused fragment cycles, so the
/// recursion ends.
fn collect<'a>(
    set: &'a SelectionSet,
    doc: &'a ExecutableDocument,
    keys: &mut IndexMap<&'a str, Vec<&'a SelectionSet>>,
) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(f) => keys
                .entry(f.node.response_key().node.as_str())
                .or_default()
                .push(&f.node.selection_set.node),
            Selection::FragmentSpread(s) => {
                if let Some(fragment) = doc.fragments.get(&s.node.fragment_name.node) {
                    collect(&fragment.node.selection_set.node, doc, keys);
                }
            }
            Selection::InlineFragment(i) => collect(&i.node.selection_set.node, doc, keys),
        }
    }
}

#[async_trait::async_trait]
impl Extension for Reorder {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.asked().operation_name = request.operation_name.clone();
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        self.asked().document = Some(Arc::new(doc.clone()));
        Ok(doc)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let resp = next.run(ctx, operation_name).await;
        reordered(&self.0, resp)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let asked = self.0.clone();
        next.run(ctx, stream)
            .map(move |resp| reordered(&asked, resp))
            .boxed()
    }
}
