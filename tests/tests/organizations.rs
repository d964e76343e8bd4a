//! Organizations, invites and roles, over HTTP.

use serde_json::json;
use tests::{TestServer, email};

#[tokio::test]
async fn invites_are_accepted_on_signup_and_on_login() {
    let server = TestServer::start().await;
    let api = server.api();
    let owner = api.signup(&email("owner")).await;
    let org = api
        .post(
            "/api/v1/organizations",
            Some(&owner.token),
            json!({ "name": "Acme" }),
        )
        .await;
    let org = org.expect(201).clone();
    assert_eq!(org["role"], json!("owner"));
    assert_eq!(org["is_personal"], json!(false));
    let org_id = org["id"].as_str().unwrap().to_owned();

    // An existing user is invited; the invite becomes a membership at their next login.
    let existing = api.signup(&email("existing")).await;
    let invite = api
        .post(
            &format!("/api/v1/organizations/{org_id}/invites"),
            Some(&owner.token),
            json!({ "email": existing.email.to_uppercase(), "role": "admin" }),
        )
        .await;
    assert_eq!(invite.expect(201)["email"], json!(existing.email));
    let before = api.get("/api/v1/me", Some(&existing.token)).await;
    assert_eq!(
        before.expect(200)["organizations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let relogged = api.login(&existing.email).await;
    let after = api.get("/api/v1/me", Some(&relogged.token)).await;
    let orgs = after.expect(200)["organizations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(orgs.len(), 2);
    assert!(
        orgs.iter()
            .any(|o| o["id"] == json!(org_id) && o["role"] == json!("admin"))
    );

    // A new person is invited; the invite is accepted when they sign up.
    let newcomer = email("newcomer");
    api.post(
        &format!("/api/v1/organizations/{org_id}/invites"),
        Some(&owner.token),
        json!({ "email": newcomer }),
    )
    .await
    .expect(201);
    let pending = api
        .get(
            &format!("/api/v1/organizations/{org_id}/invites"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(pending.expect(200)["data"].as_array().unwrap().len(), 1);
    let fresh = api.signup(&newcomer).await;
    let members = api
        .get(
            &format!("/api/v1/organizations/{org_id}/members"),
            Some(&fresh.token),
        )
        .await;
    let members = members.expect(200)["data"].as_array().unwrap().clone();
    assert_eq!(members.len(), 3);
    assert!(
        members
            .iter()
            .any(|m| m["email"] == json!(newcomer) && m["role"] == json!("member"))
    );
    let pending = api
        .get(
            &format!("/api/v1/organizations/{org_id}/invites"),
            Some(&owner.token),
        )
        .await;
    assert!(pending.expect(200)["data"].as_array().unwrap().is_empty());

    // Inviting a member again conflicts; inviting into a personal organization is refused.
    api.post(
        &format!("/api/v1/organizations/{org_id}/invites"),
        Some(&owner.token),
        json!({ "email": newcomer }),
    )
    .await
    .expect_error(409);
    api.post(
        &format!("/api/v1/organizations/{}/invites", owner.personal_org),
        Some(&owner.token),
        json!({ "email": email("x") }),
    )
    .await
    .expect_error(409);
}

#[tokio::test]
async fn roles_rules() {
    let server = TestServer::start().await;
    let api = server.api();
    let owner = api.signup(&email("owner")).await;
    let org_id = api
        .post(
            "/api/v1/organizations",
            Some(&owner.token),
            json!({ "name": "Roles Inc" }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin_email = email("admin");
    let member_email = email("member");
    for (address, role) in [(&admin_email, "admin"), (&member_email, "member")] {
        api.post(
            &format!("/api/v1/organizations/{org_id}/invites"),
            Some(&owner.token),
            json!({ "email": address, "role": role }),
        )
        .await
        .expect(201);
    }
    let admin = api.signup(&admin_email).await;
    let member = api.signup(&member_email).await;
    let members_path = format!("/api/v1/organizations/{org_id}/members");

    // Members cannot manage; admins can manage members but not owners.
    api.post(
        &format!("/api/v1/organizations/{org_id}/invites"),
        Some(&member.token),
        json!({ "email": email("y") }),
    )
    .await
    .expect_error(403);
    api.patch(
        &format!("{members_path}/{}", admin.id),
        Some(&member.token),
        json!({ "role": "member" }),
    )
    .await
    .expect_error(403);
    api.patch(
        &format!("{members_path}/{}", member.id),
        Some(&admin.token),
        json!({ "role": "owner" }),
    )
    .await
    .expect_error(403);
    api.patch(
        &format!("{members_path}/{}", owner.id),
        Some(&admin.token),
        json!({ "role": "member" }),
    )
    .await
    .expect_error(403);
    api.post(
        &format!("/api/v1/organizations/{org_id}/invites"),
        Some(&admin.token),
        json!({ "email": email("z"), "role": "owner" }),
    )
    .await
    .expect_error(403);
    let promoted = api
        .patch(
            &format!("{members_path}/{}", member.id),
            Some(&admin.token),
            json!({ "role": "admin" }),
        )
        .await;
    assert_eq!(promoted.expect(200)["role"], json!("admin"));
    api.patch(
        &format!("{members_path}/{}", member.id),
        Some(&admin.token),
        json!({ "role": "member" }),
    )
    .await
    .expect(200);
    api.patch(
        &format!("{members_path}/{}", member.id),
        Some(&admin.token),
        json!({ "role": "superuser" }),
    )
    .await
    .expect_error(400);

    // The last owner can neither be demoted nor leave; with a second owner both work.
    api.patch(
        &format!("{members_path}/{}", owner.id),
        Some(&owner.token),
        json!({ "role": "admin" }),
    )
    .await
    .expect_error(409);
    api.delete(&format!("{members_path}/{}", owner.id), Some(&owner.token))
        .await
        .expect_error(409);
    api.patch(
        &format!("{members_path}/{}", admin.id),
        Some(&owner.token),
        json!({ "role": "owner" }),
    )
    .await
    .expect(200);
    api.patch(
        &format!("{members_path}/{}", owner.id),
        Some(&owner.token),
        json!({ "role": "admin" }),
    )
    .await
    .expect(200);

    // A member may leave; an admin may remove a member; removed users lose access.
    let leave = api
        .delete(
            &format!("{members_path}/{}", member.id),
            Some(&member.token),
        )
        .await;
    assert_eq!(leave.status.as_u16(), 204, "{}", leave.text);
    api.get(
        &format!("/api/v1/organizations/{org_id}"),
        Some(&member.token),
    )
    .await
    .expect_error(404);
    api.delete(&format!("{members_path}/{}", member.id), Some(&admin.token))
        .await
        .expect_error(404);

    // Renaming needs a manager role.
    let renamed = api
        .patch(
            &format!("/api/v1/organizations/{org_id}"),
            Some(&admin.token),
            json!({ "name": "Renamed" }),
        )
        .await;
    assert_eq!(renamed.expect(200)["name"], json!("Renamed"));
    api.patch(
        &format!("/api/v1/organizations/{org_id}"),
        Some(&admin.token),
        json!({ "name": "  " }),
    )
    .await
    .expect_error(400);
}

#[tokio::test]
async fn invites_can_be_withdrawn() {
    let server = TestServer::start().await;
    let api = server.api();
    let owner = api.signup(&email("owner")).await;
    let org_id = api
        .post(
            "/api/v1/organizations",
            Some(&owner.token),
            json!({ "name": "W" }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invitee = email("invitee");
    let invite_id = api
        .post(
            &format!("/api/v1/organizations/{org_id}/invites"),
            Some(&owner.token),
            json!({ "email": invitee }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let withdrawn = api
        .delete(
            &format!("/api/v1/organizations/{org_id}/invites/{invite_id}"),
            Some(&owner.token),
        )
        .await;
    assert_eq!(withdrawn.status.as_u16(), 204);
    api.delete(
        &format!("/api/v1/organizations/{org_id}/invites/{invite_id}"),
        Some(&owner.token),
    )
    .await
    .expect_error(404);
    let user = api.signup(&invitee).await;
    let me = api.get("/api/v1/me", Some(&user.token)).await;
    assert_eq!(me.expect(200)["organizations"].as_array().unwrap().len(), 1);
}
