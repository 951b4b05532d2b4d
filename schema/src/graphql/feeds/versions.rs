//! Earlier versions as cursor connections: `MeasureResult.versions` and
//! `Commentary.versions`, over the same visible rows as their `history`
//! lists, newest first, a cursor naming a version.

use async_graphql::connection::PageInfo;
use async_graphql::{Object, Result};
use entity::model::{commentary_history, result_history};

use super::super::commentary::CommentaryVersion;
use super::super::measure::ResultVersion;
use super::page_info;
use crate::error::Gql;
use crate::rating::feed::{Page, PageArgs, page_list};

/// A connection over versions held whole, newest first: its types, and
/// `of` to page the rows. The descriptions clients see are on the `impl`
/// blocks (async-graphql reads them there).
macro_rules! versions {
    ($conn:ident, $edge:ident, $node:ident, $row:ty, $tag:literal, $conn_doc:literal, $edge_doc:literal) => {
        #[doc = $conn_doc]
        pub struct $conn {
            page: Page<$row>,
            total: usize,
        }

        impl $conn {
            /// A page of `rows`, newest first.
            pub async fn of(rows: &[$row], args: PageArgs) -> Result<Self> {
                let page = page_list($tag, rows, |r| i64::from(r.version), &args)
                    .await
                    .gql()?;
                Ok(Self {
                    page,
                    total: rows.len(),
                })
            }
        }

        #[doc = $conn_doc]
        #[Object]
        impl $conn {
            /// The versions of the page, each with its cursor.
            async fn edges(&self) -> Vec<$edge> {
                self.page
                    .items
                    .iter()
                    .map(|(cursor, row)| $edge {
                        cursor: cursor.clone(),
                        row: row.clone(),
                    })
                    .collect()
            }
            /// Where the page sits among the versions.
            async fn page_info(&self) -> PageInfo {
                page_info(&self.page)
            }
            /// Every version the viewer may see, on every page.
            async fn total_count(&self) -> usize {
                self.total
            }
        }

        #[doc = $edge_doc]
        pub struct $edge {
            cursor: String,
            row: $row,
        }

        #[doc = $edge_doc]
        #[Object]
        impl $edge {
            /// Pass as `after` or `before` to page on from this version.
            async fn cursor(&self) -> &str {
                &self.cursor
            }
            /// The version.
            async fn node(&self) -> $node {
                $node(self.row.clone())
            }
        }
    };
}

versions!(
    ResultVersionConnection,
    ResultVersionEdge,
    ResultVersion,
    result_history::Model,
    "resultVersion",
    "A page of the values a result replaced (a Relay cursor connection).",
    "An earlier value of a result and its place in the connection."
);

versions!(
    CommentaryVersionConnection,
    CommentaryVersionEdge,
    CommentaryVersion,
    commentary_history::Model,
    "commentaryVersion",
    "A page of a commentary's earlier versions (a Relay cursor connection).",
    "An earlier version of a commentary and its place in the connection."
);
