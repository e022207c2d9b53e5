//! What one request may ask for, checked before anything runs: the shape of the GraphQL
//! document (aliases and root fields; depth and complexity are the schema's own limits)
//! and the rate of requests per token.

use std::num::NonZeroU32;

use async_graphql::Positioned;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use attain_core::CoreError;
use attain_core::rate::{self, Counts};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

use crate::config::Limits;

/// Refuses a document with more aliases or root fields than allowed in the operation
/// named `operation_name` (or its only one).
pub fn check_shape(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    limits: &Limits,
) -> Result<(), CoreError> {
    let aliases = count_aliases(document);
    if aliases > limits.max_aliases {
        return Err(CoreError::TooComplex(format!(
            "the query has {aliases} aliases; at most {} are allowed",
            limits.max_aliases
        )));
    }
    let roots = root_fields(document, operation_name);
    if roots > limits.max_root_fields {
        return Err(CoreError::TooComplex(format!(
            "the operation asks for {roots} root fields; at most {} are allowed",
            limits.max_root_fields
        )));
    }
    Ok(())
}

/// The name of the operation a request runs: the one it names, or the name of its only
/// operation.
pub fn operation_name(document: &ExecutableDocument, wanted: Option<&str>) -> Option<String> {
    if let Some(name) = wanted {
        return Some(name.to_owned());
    }
    match &document.operations {
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.keys().next().map(|name| name.to_string())
        }
        _ => None,
    }
}

/// Whether the operation named `wanted` (or any, unnamed) is a mutation.
pub fn is_mutation(document: &ExecutableDocument, wanted: Option<&str>) -> bool {
    document.operations.iter().any(|(name, operation)| {
        operation.node.ty == OperationType::Mutation
            && (wanted.is_none() || name.map(|n| n.as_str()) == wanted)
    })
}

fn count_aliases(document: &ExecutableDocument) -> u64 {
    fn in_set(set: &Positioned<SelectionSet>) -> u64 {
        set.node
            .items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(field) => {
                    u64::from(field.node.alias.is_some()) + in_set(&field.node.selection_set)
                }
                Selection::InlineFragment(fragment) => in_set(&fragment.node.selection_set),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: u64 = match &document.operations {
        DocumentOperations::Single(operation) => in_set(&operation.node.selection_set),
        DocumentOperations::Multiple(operations) => operations
            .values()
            .map(|operation| in_set(&operation.node.selection_set))
            .sum(),
    };
    let fragments: u64 = document
        .fragments
        .values()
        .map(|fragment| in_set(&fragment.node.selection_set))
        .sum();
    operations + fragments
}

/// The root fields of the operation that would run, through fragments.
fn root_fields(document: &ExecutableDocument, operation_name: Option<&str>) -> u64 {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(operations), None) => operations.values().next(),
    };
    fn fields(document: &ExecutableDocument, set: &Positioned<SelectionSet>, depth: u8) -> u64 {
        if depth > 8 {
            return 0;
        }
        set.node
            .items
            .iter()
            .map(|selection| match &selection.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(fragment) => {
                    fields(document, &fragment.node.selection_set, depth + 1)
                }
                Selection::FragmentSpread(spread) => document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |fragment| {
                        fields(document, &fragment.node.selection_set, depth + 1)
                    }),
            })
            .sum()
    }
    operation.map_or(0, |operation| {
        fields(document, &operation.node.selection_set, 0)
    })
}

/// Requests per minute per caller: a token (by its digest), or a client address for
/// requests without one. Each instance limits its callers' rate on its own; with a shared
/// database (PostgreSQL) it also counts every request there, per caller and minute, so
/// the limit holds across instances.
pub struct RequestRate {
    per_minute: u64,
    limiter: DefaultKeyedRateLimiter<String>,
    shared: Option<DatabaseConnection>,
}

impl RequestRate {
    /// A limiter allowing `per_minute` requests a minute to each caller (at least 1),
    /// counted in `shared` too when given.
    pub fn new(per_minute: u64, shared: Option<DatabaseConnection>) -> RequestRate {
        let per_minute = per_minute.max(1);
        let quota = NonZeroU32::new(u32::try_from(per_minute).unwrap_or(u32::MAX))
            .unwrap_or(NonZeroU32::MIN);
        RequestRate {
            per_minute,
            limiter: RateLimiter::keyed(Quota::per_minute(quota)),
            shared,
        }
    }

    /// Counts a request in this instance under its caller's key (its token's digest, or
    /// its client address), and answers the key; `RATE_LIMITED` when the caller is over
    /// its rate here.
    pub fn count_here(
        &self,
        token: Option<&str>,
        address: Option<&str>,
    ) -> Result<String, CoreError> {
        let caller = match token {
            Some(token) => format!("t:{:x}", Sha256::digest(token.as_bytes())),
            None => format!("a:{}", address.unwrap_or("unknown")),
        };
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&caller)
            .map_err(|_| CoreError::RateLimited)?;
        Ok(caller)
    }

    /// The database that counts the requests of every instance, when there is one.
    pub fn shared(&self) -> Option<&DatabaseConnection> {
        self.shared.as_ref()
    }

    /// Counts a request of `caller` in the shared database, when there is one;
    /// `RATE_LIMITED` when the caller is over its rate, `UNAVAILABLE` when the count cannot
    /// be reached (the request could do nothing then).
    pub async fn count_shared(&self, caller: &str) -> Result<(), CoreError> {
        let Some(db) = &self.shared else {
            return Ok(());
        };
        let now = chrono::Utc::now().timestamp();
        let counts = rate::count(db, caller, minute(now)).await?;
        self.judge(counts, now)
    }

    /// `RATE_LIMITED` when shared `counts` read at `now` (Unix seconds) are over the rate.
    pub fn judge(&self, counts: Counts, now: i64) -> Result<(), CoreError> {
        let per_minute = i64::try_from(self.per_minute).unwrap_or(i64::MAX / 120);
        if counts.exceed(per_minute, now.rem_euclid(60)) {
            return Err(CoreError::RateLimited);
        }
        Ok(())
    }
}

/// The minute (since the Unix epoch) that the Unix second `now` falls in.
pub fn minute(now: i64) -> i64 {
    now.div_euclid(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_body_bytes: 1024,
            max_depth: 10,
            max_complexity: 100,
            max_aliases: 2,
            max_root_fields: 3,
            request_timeout_ms: 1000,
            requests_per_minute: 2,
            shared_rate_limit: false,
        }
    }

    fn shape(query: &str) -> Result<(), CoreError> {
        let document = async_graphql::parser::parse_query(query).unwrap();
        check_shape(&document, None, &limits())
    }

    #[test]
    fn aliases_are_counted_everywhere_in_the_document() {
        assert!(shape("{ a: me { id } b: me { id } }").is_ok());
        assert!(matches!(
            shape("query { a: me { x: id } ...F } fragment F on Query { b: me { id } }"),
            Err(CoreError::TooComplex(_))
        ));
    }

    #[test]
    fn root_fields_count_through_fragments() {
        assert!(matches!(
            shape(
                "{ me { id } ...F } fragment F on Query { a1: me { id } kpiCatalog { key } c: me { id } }"
            ),
            Err(CoreError::TooComplex(_))
        ));
        assert!(shape("{ me { id } kpiCatalog { key } __typename }").is_ok());
    }

    #[test]
    fn the_named_operation_is_the_one_read() {
        let document = async_graphql::parser::parse_query(
            "query Read { me { id } } mutation Write { logout }",
        )
        .unwrap();
        assert!(!is_mutation(&document, Some("Read")));
        assert!(is_mutation(&document, Some("Write")));
        assert!(is_mutation(&document, None));
        assert_eq!(
            operation_name(&document, Some("Read")).as_deref(),
            Some("Read")
        );
        assert_eq!(operation_name(&document, None), None);
        let only = async_graphql::parser::parse_query("query Only { me { id } }").unwrap();
        assert_eq!(operation_name(&only, None).as_deref(), Some("Only"));
        assert!(!is_mutation(&only, None));
    }

    #[test]
    fn each_caller_has_its_own_rate() {
        let rate = RequestRate::new(2, None);
        assert!(rate.count_here(Some("token-a"), None).is_ok());
        assert!(rate.count_here(Some("token-a"), None).is_ok());
        assert!(matches!(
            rate.count_here(Some("token-a"), None),
            Err(CoreError::RateLimited)
        ));
        assert!(rate.count_here(Some("token-b"), None).is_ok());
        assert_eq!(
            rate.count_here(None, Some("10.0.0.1")).unwrap(),
            "a:10.0.0.1"
        );
    }
}
