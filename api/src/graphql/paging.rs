//! Relay connections over offset pages: `first` (at most [`MAX_PAGE`]) and `after`, an
//! opaque cursor naming a position in the list.

use async_graphql::SimpleObject;
use async_graphql::connection::{Connection, Edge};
use attain_core::CoreError;

/// The largest page a connection answers.
pub const MAX_PAGE: usize = 200;
/// The page size when `first` is left out.
pub const DEFAULT_PAGE: usize = 50;

/// A page of a list: where it starts and how many it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

const CURSOR_PREFIX: &str = "at:";

fn cursor(position: usize) -> String {
    format!("{CURSOR_PREFIX}{position}")
}

impl Page {
    /// Reads `first` and `after`; a page over the maximum or a cursor that does not parse
    /// is `BAD_USER_INPUT`.
    pub fn parse(first: Option<i32>, after: Option<&str>) -> Result<Page, CoreError> {
        let limit = match first {
            None => DEFAULT_PAGE,
            Some(first) => usize::try_from(first)
                .ok()
                .filter(|first| *first <= MAX_PAGE)
                .ok_or_else(|| {
                    CoreError::bad_input("first", format!("must be between 0 and {MAX_PAGE}"))
                })?,
        };
        let offset = match after {
            None => 0,
            Some(after) => after
                .strip_prefix(CURSOR_PREFIX)
                .and_then(|position| position.parse::<usize>().ok())
                .map(|position| position + 1)
                .ok_or_else(|| CoreError::bad_input("after", "not a cursor of this list"))?,
        };
        Ok(Page { offset, limit })
    }

    /// Builds the connection of this page's `nodes` out of `total`.
    pub fn connection<T: async_graphql::OutputType>(
        self,
        nodes: impl IntoIterator<Item = T>,
        total: usize,
    ) -> Connection<String, T, TotalCount> {
        let mut connection = Connection::with_additional_fields(
            self.offset > 0,
            self.offset + self.limit < total,
            TotalCount { total_count: total },
        );
        connection.edges.extend(
            nodes
                .into_iter()
                .enumerate()
                .map(|(index, node)| Edge::new(cursor(self.offset + index), node)),
        );
        connection
    }
}

/// How many items the whole list holds.
#[derive(SimpleObject)]
pub struct TotalCount {
    pub total_count: usize,
}
