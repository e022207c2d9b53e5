//! The directory: admins invite users, change roles, deactivate and reactivate them,
//! create teams and move people between them; every change applies at once, is checked
//! field by field and is audited; figures follow the membership history.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, error_code, failure, mint_token, spawn_app};

const INVITE: &str = r#"mutation($i: UserInvitation!) { inviteUser(input: $i) { id email displayName role active } }"#;
const MOVE: &str = r#"mutation($u: ID!, $t: ID, $at: DateTime) { moveTeamMember(userId: $u, teamId: $t, at: $at) { id teamId validFrom validTo } }"#;

#[tokio::test]
async fn an_invited_user_logs_in_and_bad_invitations_change_nothing() {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let admin = app.login("admin@small.example").await;
    let invitation = json!({ "email": " New.Rep@Small.example ", "displayName": "New Rep",
                             "role": "REP", "password": PASSWORD });
    let body = app.call(&admin, INVITE, json!({ "i": invitation })).await;
    assert_eq!(
        body["data"]["inviteUser"]["email"], "new.rep@small.example",
        "{body}"
    );
    assert_eq!(body["data"]["inviteUser"]["role"], "REP");
    let token = app.login("new.rep@small.example").await;
    let me = app
        .call(&token, "{ me { role user { displayName } } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["role"], "REP", "{me}");

    let again = app.call(&admin, INVITE, json!({ "i": invitation })).await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");
    for (changes, wanted) in [
        (json!({ "email": "not-an-email" }), "email"),
        (json!({ "password": "short" }), "password"),
        (json!({ "displayName": "x".repeat(201) }), "displayName"),
        (json!({ "displayName": "   " }), "displayName"),
    ] {
        let mut bad = json!({ "email": format!("{}@small.example", Uuid::now_v7().simple()),
                              "displayName": "Someone", "role": "REP" });
        for (key, value) in changes.as_object().unwrap() {
            bad[key] = value.clone();
        }
        let body = app.call(&admin, INVITE, json!({ "i": bad })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(failure(&body).1, wanted, "{body}");
    }
    let users = app
        .call(&admin, "{ users { totalCount } }", json!({}))
        .await;
    assert_eq!(
        users["data"]["users"]["totalCount"], 7,
        "six imported, one invited"
    );
    let audit = app
        .call(
            &admin,
            r#"{ auditLog(entity: "user") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(audit["data"]["auditLog"]["totalCount"], 1, "{audit}");
    let _ = report;
}

#[tokio::test]
async fn role_changes_and_deactivations_apply_to_tokens_at_once() {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let admin = app.login("admin@small.example").await;
    let rep_id = report.id("users", "rep-1").unwrap().to_string();
    let rep = app.login("rep1@small.example").await;
    let org_kpis = r#"{ kpis(subject: { kind: ORG }, period: "2026-03", keys: [REVENUE]) { values { value } } }"#;
    assert_eq!(
        error_code(&app.call(&rep, org_kpis, json!({})).await),
        "NOT_FOUND"
    );

    let changed = app
        .call(
            &admin,
            "mutation($u: ID!) { changeUserRole(userId: $u, role: ANALYST) { role } }",
            json!({ "u": rep_id }),
        )
        .await;
    assert_eq!(
        changed["data"]["changeUserRole"]["role"], "ANALYST",
        "{changed}"
    );
    // The same token now acts as an analyst: the role is read from the database.
    let body = app.call(&rep, org_kpis, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");

    let deactivate =
        "mutation($u: ID!, $a: Boolean!) { setUserActive(userId: $u, active: $a) { active } }";
    let off = app
        .call(&admin, deactivate, json!({ "u": rep_id, "a": false }))
        .await;
    assert_eq!(off["data"]["setUserActive"]["active"], false, "{off}");
    assert_eq!(
        error_code(&app.call(&rep, "{ me { role } }", json!({})).await),
        "UNAUTHENTICATED"
    );
    let on = app
        .call(&admin, deactivate, json!({ "u": rep_id, "a": true }))
        .await;
    assert_eq!(on["data"]["setUserActive"]["active"], true, "{on}");
    assert!(app.call(&rep, "{ me { role } }", json!({})).await["errors"].is_null());

    let admin_id = report.id("users", "adm").unwrap().to_string();
    let own = app
        .call(&admin, deactivate, json!({ "u": admin_id, "a": false }))
        .await;
    assert_eq!(failure(&own), ("BAD_USER_INPUT", "active"));
    let own_role = app
        .call(
            &admin,
            "mutation($u: ID!) { changeUserRole(userId: $u, role: REP) { role } }",
            json!({ "u": admin_id }),
        )
        .await;
    assert_eq!(failure(&own_role), ("BAD_USER_INPUT", "role"));
    // A manager may read the people of the team but not change them.
    let manager = app.login("mgr@small.example").await;
    let body = app
        .call(&manager, deactivate, json!({ "u": rep_id, "a": false }))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
}

#[tokio::test]
async fn a_move_closes_one_membership_opens_the_next_and_figures_follow_it() {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let admin = app.login("admin@small.example").await;
    let rep_id = report.id("users", "rep-1").unwrap().to_string();
    let team_a = report.id("teams", "team-a").unwrap().to_string();
    let created = app
        .call(
            &admin,
            "mutation($p: ID) { createTeam(name: \"Team B\", parentId: $p) { id parentId } }",
            json!({ "p": team_a }),
        )
        .await;
    let team_b = created["data"]["createTeam"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(created["data"]["createTeam"]["parentId"], team_a.as_str());

    let moved = app
        .call(
            &admin,
            MOVE,
            json!({ "u": rep_id, "t": team_b, "at": "2026-03-15T12:00:00Z" }),
        )
        .await;
    let membership = &moved["data"]["moveTeamMember"];
    assert_eq!(membership["teamId"], team_b.as_str(), "{moved}");
    assert_eq!(membership["validFrom"], "2026-03-15T12:00:00Z");
    assert_eq!(membership["validTo"], Value::Null);
    // The membership in team A ends where the one in team B starts.
    let history: Vec<(Uuid, i64, Option<i64>)> = app
        .rows(
            "SELECT team_id, valid_from, valid_to FROM team_memberships \
             WHERE organization_id = $1 AND user_id = $2 ORDER BY valid_from",
            vec![
                report.organization_id.into(),
                Uuid::parse_str(&rep_id).unwrap().into(),
            ],
        )
        .await
        .iter()
        .map(|row| {
            (
                row.try_get("", "team_id").unwrap(),
                row.try_get("", "valid_from").unwrap(),
                row.try_get("", "valid_to").unwrap(),
            )
        })
        .collect();
    let moved_at = chrono::DateTime::parse_from_rfc3339("2026-03-15T12:00:00Z")
        .unwrap()
        .timestamp_micros();
    let started = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .unwrap()
        .timestamp_micros();
    assert_eq!(
        history,
        [
            (Uuid::parse_str(&team_a).unwrap(), started, Some(moved_at)),
            (Uuid::parse_str(&team_b).unwrap(), moved_at, None),
        ]
    );
    // Moving into the team one is in changes nothing.
    let again = app
        .call(&admin, MOVE, json!({ "u": rep_id, "t": team_b }))
        .await;
    assert_eq!(
        again["data"]["moveTeamMember"]["id"], membership["id"],
        "{again}"
    );
    // A move may not reach back before the last one.
    let back = app
        .call(
            &admin,
            MOVE,
            json!({ "u": rep_id, "t": team_a, "at": "2026-03-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(failure(&back), ("BAD_USER_INPUT", "at"), "{back}");
    let missing = app
        .call(
            &admin,
            MOVE,
            json!({ "u": rep_id, "t": Uuid::now_v7().to_string() }),
        )
        .await;
    assert_eq!(failure(&missing), ("BAD_USER_INPUT", "teamId"));

    // One activity before the move, one after, on the UTC day the move splits: each
    // counts for the team of its time.
    let rep = mint_token(
        report.organization_id,
        report.id("users", "rep-1").unwrap(),
        "REP",
    );
    for day in ["2026-03-15T09:00:00Z", "2026-03-15T15:00:00Z"] {
        let input = json!({ "i": { "clientRef": Uuid::now_v7().to_string(), "kind": "VISIT", "occurredAt": day } });
        let body = app
            .call(
                &rep,
                "mutation($i: ActivityInput!) { logActivity(input: $i) { status } }",
                input,
            )
            .await;
        assert_eq!(body["data"]["logActivity"]["status"], "CREATED", "{body}");
    }
    let activities = |team: &str| json!({ "s": { "kind": "TEAM", "id": team } });
    let query = r#"query($s: SubjectInput!) { kpis(subject: $s, period: "2026-03", keys: [ACTIVITIES]) { values { value } } }"#;
    let b = app.call(&admin, query, activities(&team_b)).await;
    assert_eq!(b["data"]["kpis"]["values"][0]["value"], "1", "{b}");
    // Team A's subtree holds team B: both count for it.
    let a = app.call(&admin, query, activities(&team_a)).await;
    assert_eq!(a["data"]["kpis"]["values"][0]["value"], "2", "{a}");
    let audit = app
        .call(
            &admin,
            r#"{ auditLog(entity: "teamMembership") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        audit["data"]["auditLog"]["totalCount"], 2,
        "closed one, opened one: {audit}"
    );
}

#[tokio::test]
async fn users_lists_the_people_each_caller_may_see() {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let list = "{ users(first: 50) { totalCount nodes { displayName email } } }";
    let token = |user: &str, role: &str| {
        mint_token(
            report.organization_id,
            report.id("users", user).unwrap(),
            role,
        )
    };
    let admin = app.call(&token("adm", "ADMIN"), list, json!({})).await;
    assert_eq!(admin["data"]["users"]["totalCount"], 6, "{admin}");
    let analyst = app.call(&token("ana", "ANALYST"), list, json!({})).await;
    let nodes = analyst["data"]["users"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 6);
    assert!(
        nodes.iter().all(|node| node["email"].is_null()),
        "{analyst}"
    );
    let rep = app.call(&token("rep-1", "REP"), list, json!({})).await;
    assert_eq!(
        rep["data"]["users"]["nodes"],
        json!([{ "displayName": "Rep One", "email": "rep1@small.example" }])
    );
    let manager = app.call(&token("mgr", "MANAGER"), list, json!({})).await;
    let names: Vec<&str> = manager["data"]["users"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Manager", "Rep One", "Rep Two"], "{manager}");
}

#[tokio::test]
async fn team_members_and_their_activities_follow_the_callers_access() {
    let app = spawn_app().await;
    let report = app.small_org().await;
    let token = |user: &str, role: &str| {
        mint_token(
            report.organization_id,
            report.id("users", user).unwrap(),
            role,
        )
    };
    let rep = token("rep-1", "REP");
    let input = json!({ "i": { "clientRef": Uuid::now_v7().to_string(), "kind": "VISIT",
                               "occurredAt": "2026-03-10T09:00:00Z", "notes": "met the buyer" } });
    app.call(
        &rep,
        "mutation($i: ActivityInput!) { logActivity(input: $i) { status } }",
        input,
    )
    .await;
    let query = "{ teams { totalCount nodes { name members { displayName email
                   activities(first: 5) { totalCount nodes { notes } } } } } }";
    let members = |body: &Value| body["data"]["teams"]["nodes"][0]["members"].clone();

    let admin = app.call(&token("adm", "ADMIN"), query, json!({})).await;
    assert_eq!(admin["data"]["teams"]["totalCount"], 1, "{admin}");
    let seen = members(&admin);
    assert_eq!(seen[0]["email"], "rep1@small.example", "{admin}");
    assert_eq!(seen[0]["activities"]["nodes"][0]["notes"], "met the buyer");
    assert_eq!(seen[1]["displayName"], "Rep Two");
    assert_eq!(seen[1]["activities"]["totalCount"], 0);

    let analyst = app.call(&token("ana", "ANALYST"), query, json!({})).await;
    let seen = members(&analyst);
    assert_eq!(seen.as_array().unwrap().len(), 2, "{analyst}");
    assert_eq!(seen[0]["email"], Value::Null);
    assert_eq!(seen[0]["activities"]["totalCount"], 1);
    assert_eq!(seen[0]["activities"]["nodes"][0]["notes"], Value::Null);

    // A rep sees their team, themselves in it, and not their peer.
    let own = app.call(&rep, query, json!({})).await;
    let seen = members(&own);
    assert_eq!(seen.as_array().unwrap().len(), 1, "{own}");
    assert_eq!(seen[0]["displayName"], "Rep One");

    let manager = app.call(&token("mgr", "MANAGER"), query, json!({})).await;
    assert_eq!(members(&manager).as_array().unwrap().len(), 2, "{manager}");
}
