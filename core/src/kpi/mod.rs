//! The KPIs: the catalog that names and describes them. Formulas and the queries that
//! feed them build on the catalog's keys.

pub mod catalog;

pub use catalog::{CATALOG, Dimension, Direction, Kpi, KpiKey, Unit};
