//! Core errors become GraphQL errors with a stable `extensions.code` here, and only here.
//! Internal errors are logged (inside the request's span, which carries its id) and
//! answered without detail.

use async_graphql::{Context, ErrorExtensions};
use attain_core::access::Principal;
use attain_core::{CoreError, CoreResult};

/// Converts a core error into a GraphQL error.
pub fn to_graphql(error: CoreError) -> async_graphql::Error {
    let code = error.code();
    let message = match &error {
        CoreError::Internal(inner) => {
            tracing::error!(error = format!("{inner:#}"), "internal error");
            "internal error".to_owned()
        }
        other => other.to_string(),
    };
    async_graphql::Error::new(message).extend_with(|_, extensions| {
        extensions.set("code", code);
        if let CoreError::BadUserInput { field, .. } = &error {
            extensions.set("field", field.as_str());
        }
    })
}

/// `.gql()` on a core result keeps the error's code, where a bare `?` would lose it.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for CoreResult<T> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_graphql)
    }
}

/// The authenticated caller, or `UNAUTHENTICATED`.
pub fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data_opt::<Principal>()
        .ok_or_else(|| to_graphql(CoreError::Unauthenticated))
}
