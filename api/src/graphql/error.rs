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

/// The field of a schema validation error about an argument's value (an unknown enum
/// value, a value of the wrong type), named as the checks name fields: `items[3].stage`
/// in a list, `kind` in a single input object, the argument itself otherwise.
pub fn argument_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Invalid value for argument \"")?;
    let path = &rest[..rest.find('"')?];
    let mut segments = path.split('.').peekable();
    let argument = segments.next()?;
    let mut field = String::new();
    match segments.peek() {
        Some(next) if next.parse::<usize>().is_err() => {}
        _ => field.push_str(argument),
    }
    for segment in segments {
        if segment.parse::<usize>().is_ok() {
            field.push_str(&format!("[{segment}]"));
        } else {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(segment);
        }
    }
    Some(field)
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

#[cfg(test)]
mod tests {
    use super::argument_field;

    #[test]
    fn argument_paths_name_fields_as_the_checks_do() {
        let field = |path: &str| {
            argument_field(&format!(
                "Invalid value for argument \"{path}\", enumeration type \"DealStage\" \
                 does not contain the value \"MAYBE\""
            ))
        };
        assert_eq!(field("items.3.stage").as_deref(), Some("items[3].stage"));
        assert_eq!(field("input.kind").as_deref(), Some("kind"));
        assert_eq!(field("by").as_deref(), Some("by"));
        assert_eq!(field("inputs.0").as_deref(), Some("inputs[0]"));
        assert_eq!(
            field("input.lines.2.kind").as_deref(),
            Some("lines[2].kind")
        );
        assert_eq!(
            argument_field("Unknown field \"x\" on type \"Query\""),
            None
        );
    }
}
