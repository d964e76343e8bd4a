//! Every page's server-rendered HTML, without a browser: status, title and key content. The
//! pages' data comes from the JSON API in the browser, so the HTML holds the page's frame,
//! its labelled controls and its loading state.

use tests::TestServer;

struct Page {
    status: u16,
    html: String,
}

async fn page(server: &TestServer, path: &str) -> Page {
    let reply = reqwest::get(format!("{}{path}", server.base))
        .await
        .unwrap();
    let status = reply.status().as_u16();
    let content_type = reply.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/html"),
        "{path}: {content_type}"
    );
    Page {
        status,
        html: reply.text().await.unwrap(),
    }
}

fn title(html: &str) -> &str {
    let start = html.find("<title>").expect("a title") + "<title>".len();
    let end = html[start..].find("</title>").expect("a closed title") + start;
    &html[start..end]
}

fn assert_contains(path: &str, html: &str, needles: &[&str]) {
    for needle in needles {
        assert!(html.contains(needle), "{path} lacks {needle:?}:\n{html}");
    }
}

/// Every `<label for=…>` names an element that exists, and every input, select and textarea
/// has such a label.
fn assert_labelled(path: &str, html: &str) {
    let ids_with_label: Vec<&str> = html
        .split("<label for=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    for tag in ["<input", "<select", "<textarea"] {
        for control in html.split(tag).skip(1) {
            let control = &control[..control.find('>').unwrap()];
            let id = control
                .split(" id=\"")
                .nth(1)
                .map(|rest| &rest[..rest.find('"').unwrap()])
                .unwrap_or_else(|| panic!("{path}: a {tag}> without an id: {control}"));
            assert!(
                ids_with_label.contains(&id),
                "{path}: {tag} id={id} has no <label for>"
            );
        }
    }
}

#[tokio::test]
async fn public_pages_render_on_the_server() {
    let server = TestServer::start().await;
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "/",
            "Switchboard",
            &[
                "one OpenAI-compatible API for every model",
                "Create an account",
                "/api/v1/chat/completions",
            ],
        ),
        (
            "/models",
            "Models · Switchboard",
            &[
                "<h1>Models</h1>",
                "Loading models…",
                "Context length",
                "Input price",
                "Sort by",
            ],
        ),
        (
            "/models/openai/gpt-4o-mini",
            "openai/gpt-4o-mini · Switchboard",
            &["openai/gpt-4o-mini", "Loading the model…", "All models"],
        ),
        (
            "/docs",
            "Quickstart · Switchboard",
            &["<h1>Quickstart</h1>", "Copy base URL", "Create an API key"],
        ),
        (
            "/login",
            "Log in · Switchboard",
            &[
                "<h1>Log in</h1>",
                "action=\"/api/v1/auth/login\"",
                "autocomplete=\"current-password\"",
            ],
        ),
        (
            "/signup",
            "Sign up · Switchboard",
            &[
                "Create your account",
                "At least 10 characters, 4 of them different.",
                "autocomplete=\"new-password\"",
            ],
        ),
    ];
    for (path, expected_title, needles) in cases {
        let page = page(&server, path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(title(&page.html), *expected_title, "{path}");
        assert_contains(path, &page.html, needles);
        assert_contains(
            path,
            &page.html,
            &[
                "/pkg/switchboard.js",
                "<nav aria-label=\"Site\" class=\"site-nav\">",
            ],
        );
        assert_labelled(path, &page.html);
    }
    // The samples name this server's own base URL, as the browser sees it.
    let docs = page(&server, "/docs").await;
    assert_contains("/docs", &docs.html, &[&format!("{}/api/v1", server.base)]);
}

#[tokio::test]
async fn dashboard_pages_render_their_frame_and_loading_state() {
    let server = TestServer::start().await;
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "/app",
            "Overview · Switchboard",
            &["Loading the balance…", "Latest requests"],
        ),
        (
            "/app/keys",
            "API keys · Switchboard",
            &[
                "Create key",
                "Spending limit (USD, optional)",
                "Limit resets",
                "Loading keys…",
            ],
        ),
        (
            "/app/credits",
            "Credits · Switchboard",
            &[
                "Review purchase",
                "Amount (USD)",
                "Loading purchases…",
                "Ledger",
            ],
        ),
        (
            "/app/activity",
            "Activity · Switchboard",
            &[
                "<h1>Activity</h1>",
                "<label for=\"activity-range\">Range</label>",
                "Last 30 days (daily)",
                "<label for=\"activity-measure\">Show</label>",
                "<label for=\"activity-group\">By</label>",
                "Loading the chart…",
                "<h2>Generations</h2>",
                "<label for=\"gen-model\">Model</label>",
                "<label for=\"gen-key\">API key</label>",
                "<label for=\"gen-status\">Status</label>",
                "<label for=\"gen-from\">From (UTC)</label>",
                "Apply filters",
                "href=\"/api/v1/generations/export?\"",
                "Export CSV",
                "Loading generations…",
            ],
        ),
        (
            "/app/byok",
            "Provider keys · Switchboard",
            &[
                "<h1>Provider keys (BYOK)</h1>",
                "<label for=\"byok-provider\">Provider</label>",
                "<label for=\"byok-key\">Provider key</label>",
                "type=\"password\"",
                "<label for=\"byok-always\">Always use this key",
                "Add provider key",
                "Loading provider keys…",
            ],
        ),
        (
            "/app/settings",
            "Settings · Switchboard",
            &[
                "<h1>Settings</h1>",
                "<label for=\"org-name\">Organization name</label>",
                "Loading members…",
                "<label for=\"invite-email\">Email to invite</label>",
                "Send invitation",
                "<label for=\"budget-monthly\">Monthly budget (USD)</label>",
                "Save budgets",
                // Prompt logging, alerts and routing defaults.
                "<h2 id=\"settings-privacy\">Prompt logging</h2>",
                "Loading the privacy setting…",
                "Delete all stored prompts and completions",
                "<h2 id=\"settings-alerts\">Alerts</h2>",
                "<label for=\"alert-url\">Webhook URL</label>",
                "<label for=\"alert-threshold\">Low-balance threshold (USD)</label>",
                "<label for=\"alert-key-spend\">",
                "Save alert settings",
                "Send test event",
                "Rotate signing secret",
                "Loading alert events…",
                "<h2 id=\"settings-routing\">Provider routing</h2>",
                "<label for=\"routing-only\">Only use these providers</label>",
                "<label for=\"routing-ignore\">Never use these providers</label>",
                "<label for=\"routing-data\">Data policy</label>",
                "<label for=\"routing-zdr\">Only zero-data-retention endpoints</label>",
                "<label for=\"routing-sort\">Order providers by</label>",
                "Save routing defaults",
            ],
        ),
        (
            "/app/playground",
            "Playground · Switchboard",
            &["Send message", "API key", "Loading models…"],
        ),
    ];
    for (path, expected_title, needles) in cases {
        let page = page(&server, path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(title(&page.html), *expected_title, "{path}");
        assert_contains(path, &page.html, needles);
        // The dashboard's frame: navigation and the organization switcher.
        assert_contains(
            path,
            &page.html,
            &[
                "aria-label=\"Dashboard\"",
                "<label for=\"org-switcher\">Organization</label>",
                "Log out",
            ],
        );
        assert_labelled(path, &page.html);
    }
}

#[tokio::test]
async fn admin_pages_render_their_frame() {
    let server = TestServer::start().await;
    // The admin check runs in the browser (the API checks again), so the server renders the
    // frame: the navigation to every admin page, the page's title and the check's loading
    // state.
    for (path, expected_title) in [
        ("/admin", "Organizations · Admin · Switchboard"),
        ("/admin/audit", "Audit log · Admin · Switchboard"),
        ("/admin/users", "Users · Admin · Switchboard"),
        (
            "/admin/analytics",
            "Platform analytics · Admin · Switchboard",
        ),
        ("/admin/catalog", "Catalog · Admin · Switchboard"),
        (
            "/admin/organizations/org_0123456789",
            "Organization · Admin · Switchboard",
        ),
    ] {
        let page = page(&server, path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(title(&page.html), expected_title, "{path}");
        assert_contains(
            path,
            &page.html,
            &[
                "aria-label=\"Administration\"",
                "href=\"/admin/users\"",
                "href=\"/admin/analytics\"",
                "href=\"/admin/catalog\"",
                "Audit log",
                "Checking your account…",
            ],
        );
        assert_labelled(path, &page.html);
    }
}

#[tokio::test]
async fn unknown_pages_are_404_html() {
    let server = TestServer::start().await;
    for path in [
        "/no/such/page",
        "/models/only-one-segment/and/more",
        "/app/nowhere",
    ] {
        let page = page(&server, path).await;
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(title(&page.html), "Page not found · Switchboard", "{path}");
    }
}
