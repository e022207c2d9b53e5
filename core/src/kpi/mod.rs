//! The KPIs: the catalog that names and describes them, the pure formulas over what the
//! database counted ([`facts`]), the SQL that counts it ([`queries`]) for a [`scope`] of
//! subjects, and [`evaluate`], which ties them together for a period as of an instant.

pub mod catalog;
pub mod facts;
pub mod queries;
pub mod scope;
mod subjects;

pub use catalog::{CATALOG, Dimension, Direction, Kpi, KpiKey, Unit};
pub use facts::{Facts, round_for_output};
pub use subjects::{Subject, TeamTree, evaluate, scope_of, team_scope, windows};
