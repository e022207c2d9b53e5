//! Each won deal's link to its customer's next won deal (`deals.next_won_at`, ordered by
//! `closed_at`, then id). With it, "the customer's latest won deal before t" is the won
//! deal closed before t whose next one is not (closed at or after t, or none): a filter
//! an index answers, where the raw form needs a window over a year of deals.
//!
//! Every write that creates, deletes or changes the status, customer or `closed_at` of a
//! deal relinks the customers it touches, in the same transaction.

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use uuid::Uuid;

use crate::bulk;
use crate::error::CoreResult;
use crate::kpi::scope::Sql;

/// Links written per statement, two bound values each on SQLite.
const LINKS_PER_STATEMENT: usize = 10_000;

/// Whether the deal `c` is in its customer's chain: won, with a closing time.
const WON: &str = "(c.status = 'WON' AND c.closed_at IS NOT NULL)";

/// Whether the incoming deal `v` (columns `x_…`) is won, with a closing time.
macro_rules! incoming_won {
    () => {
        "(v.x_status = 'WON' AND v.x_closed_at IS NOT NULL)"
    };
}

/// For each of a batch's items `v` (stored or not), the `closed_at` of the customer's
/// next won deal among the batch's items.
pub(crate) const NEXT_IN_BATCH: &str = concat!(
    "CASE WHEN ",
    incoming_won!(),
    " THEN LEAD(v.x_closed_at) OVER (PARTITION BY v.x_customer_id, ",
    incoming_won!(),
    " ORDER BY v.x_closed_at, v.x_id) END"
);

/// The link an inserted deal `v` is written with: to the customer's next won deal among
/// the stored ones and the batch's items (`x_window`, from [`NEXT_IN_BATCH`]). When the
/// batch has a next one, a stored one is looked for only before it, as a bound the index
/// scan stops at; without it, a deal older than many stored ones would scan them all.
///
/// The relink that follows in the same transaction still checks every link of the
/// customer, so a link this gets wrong is corrected there: one made stale by a
/// concurrent batch, or one that counted an item updating a stored deal with its new
/// values. In the common case it spares the relink rewriting each new deal (a second
/// version of the row, in all of its indexes).
pub(crate) fn inserted_link(organization: &str) -> String {
    let stored = |bound: &str| {
        format!(
            "(SELECT n.closed_at FROM deals n WHERE n.organization_id = {organization} \
             AND n.customer_id = v.x_customer_id AND n.status = 'WON' \
             AND (n.closed_at, n.id) > (v.x_closed_at, v.x_id){bound} \
             ORDER BY n.closed_at, n.id LIMIT 1)"
        )
    };
    format!(
        "CASE WHEN {} THEN CASE WHEN v.x_window IS NULL THEN {} \
         ELSE COALESCE({}, v.x_window) END END",
        incoming_won!(),
        stored(""),
        stored(" AND n.closed_at < v.x_window"),
    )
}

/// Relinks the won deals of some customers of an organization, in the caller's
/// transaction. On PostgreSQL the customers are locked first, in id order, so that
/// concurrent writers relinking the same customers take turns instead of deadlocking over
/// their deals' rows (the lock does not block inserts that merely reference the
/// customers).
pub async fn relink_customers<C: ConnectionTrait>(
    conn: &C,
    organization_id: Uuid,
    customers: &[Uuid],
) -> CoreResult<()> {
    let mut customers = customers.to_vec();
    customers.sort();
    customers.dedup();
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        // Planned for the customers it names, also in a write that reuses generic plans:
        // how many deals they have varies by orders of magnitude.
        conn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await
            .context("planning the relink")?;
    }
    for chunk in customers.chunks(500) {
        let mut values = vec![Value::from(organization_id)];
        let placeholders: Vec<String> = chunk
            .iter()
            .map(|customer| {
                values.push(Value::from(*customer));
                format!("${}", values.len())
            })
            .collect();
        if conn.get_database_backend() == DatabaseBackend::Postgres {
            let lock = format!(
                "SELECT id FROM customers WHERE organization_id = $1 AND id IN ({}) \
                 ORDER BY id FOR NO KEY UPDATE",
                placeholders.join(", ")
            );
            conn.query_all_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                lock,
                values.clone(),
            ))
            .await
            .context("locking customers")?;
        }
        // One pass over the customers' chained deals in (closed_at, id) order gives each
        // won deal its successor; only the links that change are read back and written.
        let sql = format!(
            "SELECT id, next_won_at FROM ( \
               SELECT c.id, c.next_won_at AS linked, CASE WHEN {WON} THEN LEAD(c.closed_at) OVER ( \
                 PARTITION BY c.customer_id, {WON} ORDER BY c.closed_at, c.id) END AS next_won_at \
               FROM deals c WHERE c.organization_id = $1 AND c.customer_id IN ({}) \
               AND (c.status = 'WON' OR c.next_won_at IS NOT NULL) \
             ) AS links WHERE links.linked IS DISTINCT FROM links.next_won_at",
            placeholders.join(", ")
        );
        let changed = conn
            .query_all_raw(Statement::from_sql_and_values(
                conn.get_database_backend(),
                sql,
                values,
            ))
            .await
            .context("linking won deals")?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get::<Uuid>("", "id")?,
                    row.try_get::<Option<i64>>("", "next_won_at")?,
                ))
            })
            .collect::<CoreResult<Vec<_>>>()?;
        write_links(conn, organization_id, &changed).await?;
    }
    Ok(())
}

/// Writes won deals' links, found by key: the changed links are a list of known length,
/// so the update looks each deal up by its key, where joining the window's result back
/// planned a scan of all the organization's deals for it (the window's filter is
/// estimated to keep nearly every row; it keeps the few that change).
async fn write_links<C: ConnectionTrait>(
    conn: &C,
    organization_id: Uuid,
    links: &[(Uuid, Option<i64>)],
) -> CoreResult<()> {
    let backend = conn.get_database_backend();
    for chunk in links.chunks(LINKS_PER_STATEMENT) {
        let mut sql = Sql::default();
        let rows = bulk::rows(
            &mut sql,
            backend,
            "v",
            &["id", "next_won_at"],
            chunk
                .iter()
                .map(|(id, next)| vec![Value::from(*id), Value::from(*next)]),
        )?;
        let organization = sql.param(organization_id);
        let text = format!(
            "WITH {rows} UPDATE deals SET next_won_at = v.x_next_won_at FROM v \
             WHERE deals.organization_id = {organization} AND deals.id = v.x_id"
        );
        conn.execute_raw(Statement::from_sql_and_values(backend, text, sql.values))
            .await
            .context("writing won deals' links")?;
    }
    Ok(())
}
