//! The commands: each resolves names to ids through the API, asks before anything
//! destructive (unless `--yes`), and prints a table, or JSON with `--json`.
use crate::client::{refused, Api, Failure, Outcome};
use crate::config;
use clap::{Args, Parser, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use reqwest::Method;
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Write};
use uuid::Uuid;
use wire::access::{AccessPage, PersonAccess, PersonReach, RoadDates, RoadRevokePreview};
use wire::accounts::{AccountSummary, Member, MemberList};
use wire::api::RoadRevocation;
use wire::api::{
    ContactInput, Handover, NewInvitations, Page, Revoked, RoleInput, Scope, ShareInput,
    TeamInvitation,
};
use wire::auth::CurrentUser;
use wire::instances::{InstanceDetail, InstancesPage};
use wire::integrations::{
    AccessView, IntegrationPage, InviteReport, InviteView, LinkView, MyIntegrations, RevokePreview,
};
use wire::members::{Removed, TransferReport};
use wire::team::{MemberView, TeamPage};

#[derive(Parser)]
#[command(
    name = "gatehousectl",
    version,
    about = "Gatehouse's sharing, team and member actions from a terminal.",
    after_help = "Exit codes: 0 done, 1 refused or failed, 2 usage error, 3 cancelled at a question, 4 not signed in.\n\
                  Zapier-style names work too: users:add = users add, team:get = team list.\n\n\
                  Example:\n  gatehousectl login --url https://gatehouse.example.com\n  gatehousectl users list --integration acme-crm"
)]
pub struct Cli {
    /// Print JSON instead of tables (for scripts).
    #[arg(long, global = true)]
    json: bool,
    /// Answer yes to every question (for scripts).
    #[arg(long, short = 'y', global = true)]
    yes: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Keep a server's address and a personal access token for the next commands.
    #[command(
        after_help = "Example:\n  gatehousectl login --url http://127.0.0.1:3000\n  echo \"$TOKEN\" | gatehousectl login --url http://127.0.0.1:3000 --with-token"
    )]
    Login {
        /// The server, e.g. https://gatehouse.example.com
        #[arg(long)]
        url: String,
        /// Read the token from standard input instead of asking for it.
        #[arg(long)]
        with_token: bool,
    },
    /// Forget the kept token.
    #[command(after_help = "Example:\n  gatehousectl logout")]
    Logout,
    /// Who the token belongs to, and on which server.
    #[command(after_help = "Example:\n  gatehousectl whoami")]
    Whoami,
    /// Integrations you are on the team of, or that are shared with you.
    #[command(subcommand)]
    Integrations(IntegrationsCmd),
    /// Who may use an integration: email invitations, invite links, revocation.
    #[command(subcommand)]
    Users(UsersCmd),
    /// An integration's team: members, roles, contacts.
    #[command(subcommand)]
    Team(TeamCmd),
    /// An account's members: list, remove (with the transfer of their work), export.
    #[command(subcommand)]
    Members(MembersCmd),
    /// App instances: list, share, revoke.
    #[command(subcommand)]
    Instances(InstancesCmd),
    /// Who can reach an integration, an instance or an account, and why (AX-1); a road's
    /// dates (AX-2); revoking one road.
    #[command(subcommand)]
    Access(AccessCmd),
}

#[derive(Subcommand)]
enum AccessCmd {
    /// Everyone who can reach an integration (default), an instance or an account, by every road.
    #[command(
        after_help = "Example:\n  gatehousectl access show -i acme-crm\n  gatehousectl access show --instance 7f0c… --search ann"
    )]
    Show {
        #[command(flatten)]
        which: Which,
        /// An instance's id instead of an integration.
        #[arg(long, conflicts_with = "account")]
        instance: Option<Uuid>,
        /// An account's id or name instead of an integration.
        #[arg(long)]
        account: Option<String>,
        /// Only people whose name or address contains this.
        #[arg(long)]
        search: Option<String>,
    },
    /// Everything of yours that one person can reach, and how.
    #[command(after_help = "Example:\n  gatehousectl access person ann@example.com")]
    Person { email: String },
    /// Revoke one road to an integration or an instance (its id from `access show`); says first what remains.
    #[command(after_help = "Example:\n  gatehousectl access revoke 5d1e… -i acme-crm")]
    Revoke {
        road: Uuid,
        #[command(flatten)]
        which: Which,
        /// An instance's id instead of an integration (the road is the person's user id).
        #[arg(long)]
        instance: Option<Uuid>,
        /// Why, for the history.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Set or clear a road's start and end (UTC), on an integration (default) or an instance.
    #[command(
        after_help = "Example:\n  gatehousectl access dates 5d1e… -i acme-crm --ends 2027-03-01\n  gatehousectl access dates 5d1e… -i acme-crm --ends 2027-03-01T09:00 --then-collaborator"
    )]
    Dates {
        road: Uuid,
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        instance: Option<Uuid>,
        #[command(flatten)]
        dated: Dated,
        /// A team admin stays on as collaborator after the end (AX-4).
        #[arg(long)]
        then_collaborator: bool,
    },
}

#[derive(Subcommand)]
enum IntegrationsCmd {
    /// List them.
    #[command(after_help = "Example:\n  gatehousectl integrations list --json")]
    List,
    /// One integration with its versions.
    #[command(after_help = "Example:\n  gatehousectl integrations show acme-crm")]
    Show {
        /// Its id, slug or name.
        integration: String,
    },
}

/// When the access given starts and ends (AX-2), in UTC.
#[derive(Args)]
struct Dated {
    /// When it starts (e.g. 2027-03-01 or 2027-03-01T09:00, UTC); absent: at once.
    #[arg(long)]
    starts: Option<String>,
    /// When it ends; absent: no end.
    #[arg(long)]
    ends: Option<String>,
}

/// Which integration: `--integration`, else `.gatehouserc` in the working directory.
#[derive(Args)]
struct Which {
    /// The integration's id, slug or name (default: "integration" in ./.gatehouserc).
    #[arg(long, short = 'i')]
    integration: Option<String>,
}

#[derive(Subcommand)]
enum UsersCmd {
    /// Invite people by email, to one version or to all versions (SH-3).
    #[command(
        after_help = "Example:\n  gatehousectl users add ann@example.com bob@example.com --version 1.2.0\n  gatehousectl users add -f people.txt"
    )]
    Add {
        /// Addresses to invite.
        emails: Vec<String>,
        /// Read more addresses from a file, one per line.
        #[arg(long, short = 'f')]
        file: Option<std::path::PathBuf>,
        /// Only this version (default: all versions, present and future).
        #[arg(long)]
        version: Option<String>,
        #[command(flatten)]
        dated: Dated,
        #[command(flatten)]
        which: Which,
    },
    /// Email invitations and their status (SH-5).
    #[command(after_help = "Example:\n  gatehousectl users list --status pending")]
    List {
        /// Only pending, accepted or revoked ones.
        #[arg(long, value_parser = ["pending", "accepted", "revoked", "cancelled", "expired"])]
        status: Option<String>,
        #[command(flatten)]
        which: Which,
    },
    /// The invite links (all versions, and per version) and who joined through them (SH-2).
    #[command(
        after_help = "Example:\n  gatehousectl users links\n  gatehousectl users links rotate --version 1.2.0"
    )]
    Links {
        #[command(subcommand)]
        action: Option<LinksCmd>,
        #[command(flatten)]
        which: Which,
    },
    /// Take someone's access away from one version or all; their Zaps using it pause (SH-6, SH-7).
    #[command(after_help = "Example:\n  gatehousectl users remove ann@example.com --yes")]
    Remove {
        email: String,
        /// Only this version (default: all versions).
        #[arg(long)]
        version: Option<String>,
        #[command(flatten)]
        which: Which,
    },
}

#[derive(Subcommand)]
enum LinksCmd {
    /// Replace a link: the old one admits nobody new; those already in keep access.
    Rotate {
        /// The link of this version (default: the all-versions link).
        #[arg(long)]
        version: Option<String>,
        #[command(flatten)]
        which: Which,
    },
}

#[derive(Subcommand)]
enum TeamCmd {
    /// Invite someone to the team with a role and a note (TM-3).
    #[command(
        after_help = "Example:\n  gatehousectl team add ann@example.com collaborator \"Welcome aboard\""
    )]
    Add {
        email: String,
        /// admin or collaborator
        #[arg(value_parser = ["admin", "collaborator"])]
        role: String,
        /// The note in the invitation (default: the platform's).
        message: Option<String>,
        #[command(flatten)]
        dated: Dated,
        /// An admin with an end stays on as collaborator afterwards (AX-4).
        #[arg(long)]
        then_collaborator: bool,
        #[command(flatten)]
        which: Which,
    },
    /// Members, accepted and pending (TM-5).
    #[command(
        alias = "get",
        after_help = "Example:\n  gatehousectl team list --json"
    )]
    List {
        #[command(flatten)]
        which: Which,
    },
    /// Remove a member or a pending invitation (TM-5).
    #[command(after_help = "Example:\n  gatehousectl team remove ann@example.com")]
    Remove {
        email: String,
        #[command(flatten)]
        which: Which,
    },
    /// Change a member's role (TM-6 keeps one admin).
    #[command(after_help = "Example:\n  gatehousectl team role ann@example.com admin")]
    Role {
        email: String,
        #[arg(value_parser = ["admin", "collaborator"])]
        role: String,
        /// Why, for the integration's history.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        which: Which,
    },
    /// Leave the team yourself.
    #[command(after_help = "Example:\n  gatehousectl team leave --integration acme-crm")]
    Leave {
        #[command(flatten)]
        which: Which,
    },
    /// Make an accepted member the marketing or technical contact (TM-7).
    #[command(after_help = "Example:\n  gatehousectl team contact marketing ann@example.com")]
    Contact {
        #[arg(value_parser = ["marketing", "technical"])]
        kind: String,
        email: String,
        #[command(flatten)]
        which: Which,
    },
}

#[derive(Subcommand)]
enum MembersCmd {
    /// An account's members.
    #[command(after_help = "Example:\n  gatehousectl members list \"Acme Corp\"")]
    List {
        /// The account's id or name.
        account: String,
    },
    /// Remove a member; their Zaps, folders and connections pass to a new owner (OF-1 … OF-5).
    #[command(
        after_help = "Example:\n  gatehousectl members remove \"Acme Corp\" maria@acme.test --preview\n  gatehousectl members remove \"Acme Corp\" maria@acme.test --new-owner dev@acme.test --connections until-expiry --yes"
    )]
    Remove {
        account: String,
        email: String,
        /// Who receives their work (default: the account owner).
        #[arg(long)]
        new_owner: Option<String>,
        /// How long their private connections keep working.
        #[arg(long, default_value = "30d", value_parser = ["30d", "until-expiry"])]
        connections: String,
        /// Only show what would move.
        #[arg(long)]
        preview: bool,
    },
    /// The CSV of a member's Zaps and connections (OF-4), on standard output.
    #[command(
        after_help = "Example:\n  gatehousectl members export \"Acme Corp\" maria@acme.test > work.csv"
    )]
    Export { account: String, email: String },
}

#[derive(Subcommand)]
enum InstancesCmd {
    /// Your instances, and those shared with you.
    #[command(after_help = "Example:\n  gatehousectl instances list")]
    List,
    /// Share an instance, or change a share (IN-2).
    #[command(
        after_help = "Example:\n  gatehousectl instances share 7f0c… ann@example.com --write"
    )]
    Share {
        id: Uuid,
        email: String,
        /// View and clone.
        #[arg(long, conflicts_with = "write", required_unless_present = "write")]
        read: bool,
        /// Also edit, delete, stop and run.
        #[arg(long)]
        write: bool,
        #[command(flatten)]
        dated: Dated,
    },
    /// Take a share (or a pending share invitation) away (IN-4).
    #[command(after_help = "Example:\n  gatehousectl instances revoke 7f0c… ann@example.com")]
    Revoke { id: Uuid, email: String },
}

/// `users:add` → `users add`: the source platform's command names work too.
pub fn split_aliases(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut first = true;
    for a in args {
        if out.is_empty() {
            out.push(a);
            continue;
        }
        if first && !a.starts_with('-') {
            first = false;
            if let Some((group, cmd)) = a.split_once(':') {
                out.push(group.to_string());
                out.push(if group == "team" && cmd == "get" {
                    "list".into()
                } else {
                    cmd.to_string()
                });
                continue;
            }
        }
        out.push(a);
    }
    out
}

struct Ctx {
    api: Api,
    json: bool,
    yes: bool,
}

pub fn run(cli: Cli) -> Outcome<()> {
    match cli.command {
        Command::Login { url, with_token } => return login(&url, with_token, cli.json),
        Command::Logout => return logout(),
        _ => {}
    }
    let (url, token) = config::current()?;
    let cx = Ctx {
        api: Api::new(&url, &token)?,
        json: cli.json,
        yes: cli.yes,
    };
    match cli.command {
        Command::Login { .. } | Command::Logout => Ok(()),
        Command::Whoami => {
            let me: CurrentUser = cx.api.get("/me")?;
            cx.out(&me, || {
                format!("{} <{}> on {}", me.name, me.email, cx.api.base())
            })
        }
        Command::Integrations(c) => integrations(&cx, c),
        Command::Users(c) => users(&cx, c),
        Command::Team(c) => team(&cx, c),
        Command::Members(c) => members(&cx, c),
        Command::Instances(c) => instances(&cx, c),
        Command::Access(c) => access(&cx, c),
    }
}

fn road_rows(people: &[PersonAccess]) -> Vec<Vec<String>> {
    people
        .iter()
        .flat_map(|p| {
            p.roads.iter().map(move |r| {
                let what = match (r.role.as_deref(), r.version.as_deref()) {
                    (Some(role), _) => format!("{} {role}", r.kind.as_str()),
                    (None, Some(v)) => format!("{} (version {v})", r.kind.as_str()),
                    (None, None) => format!("{} (all versions)", r.kind.as_str()),
                };
                let dates = match (r.starts_at, r.ends_at) {
                    (None, None) => "no end".to_string(),
                    (s, e) => format!(
                        "{} → {}{}",
                        s.map(|s| day(&s)).unwrap_or_else(|| "now".into()),
                        e.map(|e| day(&e)).unwrap_or_else(|| "no end".into()),
                        r.then
                            .as_ref()
                            .map(|t| format!(", then {t}"))
                            .unwrap_or_default()
                    ),
                };
                vec![
                    p.email.clone(),
                    what,
                    r.granted_by.clone().unwrap_or_else(|| "—".into()),
                    dates,
                    format!("{:?}", r.state).to_lowercase(),
                    r.id.to_string(),
                ]
            })
        })
        .collect()
}

/// A date typed on the command line, as RFC 3339 for the API (UTC).
fn date_arg(s: Option<String>) -> Outcome<Option<chrono::DateTime<chrono::Utc>>> {
    let Some(s) = s else { return Ok(None) };
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&chrono::Utc)));
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Ok(Some(t.and_utc()));
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| {
            refused(format!(
                "“{s}” is not a date: give one such as 2027-03-01 or 2027-03-01T09:00 (UTC)."
            ))
        })
}

fn access(cx: &Ctx, c: AccessCmd) -> Outcome<()> {
    match c {
        AccessCmd::Show {
            which,
            instance,
            account,
            search,
        } => {
            let path = match (instance, account) {
                (Some(i), _) => format!("/instances/{i}/access"),
                (None, Some(a)) => format!("/accounts/{}/access", cx.account(&a)?),
                (None, None) => format!("/integrations/{}/access", cx.integration(&which)?),
            };
            let page: AccessPage = cx
                .api
                .get_query(&path, &[("q", search.unwrap_or_default())])?;
            cx.out(&page, || {
                let mut s = String::new();
                if page.public {
                    s.push_str("Public: every signed-in user may use every version.\n");
                }
                s.push_str(&table(
                    &["Person", "Road", "Given by", "Dates", "State", "Road id"],
                    road_rows(&page.people),
                    "Nobody has a road here.",
                ));
                if page.more {
                    s.push_str("\nThe list stops here: narrow it with --search.");
                }
                s
            })
        }
        AccessCmd::Person { email } => {
            let reach: PersonReach = cx.api.get_query("/access", &[("email", email.clone())])?;
            cx.out(&reach, || {
                let rows = reach
                    .items
                    .iter()
                    .flat_map(|i| {
                        i.roads.iter().map(move |r| {
                            vec![
                                format!("{} ({})", i.name, i.object),
                                r.kind.as_str().to_string(),
                                r.role
                                    .clone()
                                    .or_else(|| r.version.clone())
                                    .unwrap_or_else(|| "all versions".into()),
                                r.ends_at
                                    .map(|e| day(&e))
                                    .unwrap_or_else(|| "no end".into()),
                                format!("{:?}", r.state).to_lowercase(),
                            ]
                        })
                    })
                    .collect();
                table(
                    &["Of yours", "Road", "Role or version", "Ends", "State"],
                    rows,
                    &format!("{email} reaches nothing of yours."),
                )
            })
        }
        AccessCmd::Revoke {
            road,
            which,
            instance,
            reason,
        } => {
            let path = match instance {
                Some(i) => format!("/instances/{i}/access/{road}/revoke"),
                None => format!(
                    "/integrations/{}/access/{road}/revoke",
                    cx.integration(&which)?
                ),
            };
            let preview: Option<RoadRevokePreview> = cx.api.write(
                Method::POST,
                &path,
                Some(&RoadRevocation {
                    reason: None,
                    dry_run: true,
                }),
            )?;
            let preview = preview.ok_or_else(|| refused("The server answered nothing."))?;
            let remains = if preview.remaining.is_empty() {
                "no other road remains".to_string()
            } else {
                format!("access remains through: {}", preview.remaining.join("; "))
            };
            let pauses = if preview.zaps_to_pause.is_empty() {
                "no Zap pauses".to_string()
            } else {
                format!("these Zaps pause: {}", preview.zaps_to_pause.join(", "))
            };
            cx.confirm(&format!(
                "Revoke {}'s {}? ({remains}; {pauses})",
                preview.email, preview.road
            ))?;
            let done: Option<RoadRevokePreview> = cx.api.write(
                Method::POST,
                &path,
                Some(&RoadRevocation {
                    reason,
                    dry_run: false,
                }),
            )?;
            let done = done.unwrap_or(preview);
            cx.out(&done, || format!("Revoked {}'s {}.", done.email, done.road))
        }
        AccessCmd::Dates {
            road,
            which,
            instance,
            dated,
            then_collaborator,
        } => {
            let dates = RoadDates {
                starts_at: date_arg(dated.starts)?,
                ends_at: date_arg(dated.ends)?,
                then_collaborator,
            };
            let path = match instance {
                Some(i) => format!("/instances/{i}/access/{road}/dates"),
                None => format!(
                    "/integrations/{}/access/{road}/dates",
                    cx.integration(&which)?
                ),
            };
            cx.api.act(Method::PUT, &path, Some(&dates))?;
            cx.out(&dates, || "Dates saved.".to_string())
        }
    }
}

impl Ctx {
    /// Print `value` as JSON, or the human text.
    fn out<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) -> Outcome<()> {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).map_err(|e| refused(e.to_string()))?
            );
        } else {
            println!("{}", human());
        }
        Ok(())
    }

    /// Ask before something destructive; `--yes` skips the question. Anything but
    /// "y"/"yes" (or no answer at all) cancels.
    fn confirm(&self, question: &str) -> Outcome<()> {
        if self.yes {
            return Ok(());
        }
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| refused(e.to_string()))?;
        match line.trim().to_lowercase().as_str() {
            "y" | "yes" => Ok(()),
            _ => Err(Failure::Cancelled),
        }
    }

    /// The integration's id from `--integration` (id, slug or name) or `./.gatehouserc`.
    fn integration(&self, which: &Which) -> Outcome<Uuid> {
        let wanted = match &which.integration {
            Some(w) => w.clone(),
            None => project_integration()?,
        };
        if let Ok(id) = Uuid::parse_str(&wanted) {
            return Ok(id);
        }
        let mine: MyIntegrations = self.api.get("/integrations")?;
        let all: Vec<_> = mine.team.iter().chain(mine.shared.iter()).collect();
        let found: Vec<_> = all
            .iter()
            .filter(|i| i.slug == wanted || i.name.eq_ignore_ascii_case(&wanted))
            .collect();
        match found.as_slice() {
            [one] => Ok(one.id),
            [] => Err(refused(format!(
                "No integration of yours is called {wanted:?}: see gatehousectl integrations list."
            ))),
            _ => Err(refused(format!(
                "Several integrations are called {wanted:?}: use its id."
            ))),
        }
    }

    fn version(&self, integration: Uuid, version: Option<&str>) -> Outcome<Option<Uuid>> {
        let Some(v) = version else { return Ok(None) };
        let page: IntegrationPage = self.api.get(&format!("/integrations/{integration}"))?;
        page.versions
            .iter()
            .find(|x| x.version == v)
            .map(|x| Some(x.id))
            .ok_or_else(|| {
                refused(format!(
                    "{} has no version {v}; it has {}.",
                    page.name,
                    page.versions
                        .iter()
                        .map(|x| x.version.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }

    fn account(&self, wanted: &str) -> Outcome<Uuid> {
        if let Ok(id) = Uuid::parse_str(wanted) {
            return Ok(id);
        }
        let accounts: Vec<AccountSummary> = self.api.get("/accounts")?;
        accounts
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(wanted))
            .map(|a| a.id)
            .ok_or_else(|| refused(format!("You are in no account called {wanted:?}.")))
    }

    /// Every member of an account, page after page.
    fn all_members(&self, account: Uuid) -> Outcome<Vec<Member>> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page: MemberList = self.api.get_query(
                &format!("/accounts/{account}/members"),
                &Page {
                    cursor: cursor.take(),
                    limit: Some(200),
                },
            )?;
            out.extend(page.members);
            match page.next {
                Some(n) => cursor = Some(n),
                None => return Ok(out),
            }
        }
    }
}

/// `{"integration": "…"}` in `./.gatehouserc`.
fn project_integration() -> Outcome<String> {
    let text = std::fs::read_to_string(".gatehouserc").map_err(|_| {
        refused("Say which integration: --integration ID|SLUG, or {\"integration\": \"…\"} in ./.gatehouserc.")
    })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| refused(format!(".gatehouserc is not JSON: {e}")))?;
    v["integration"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| refused(".gatehouserc has no \"integration\"."))
}

fn table(header: &[&str], rows: Vec<Vec<String>>, empty: &str) -> String {
    if rows.is_empty() {
        return empty.to_string();
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    for r in rows {
        t.add_row(r);
    }
    t.to_string()
}

fn day(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn login(url: &str, with_token: bool, json: bool) -> Outcome<()> {
    let token = if with_token {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| refused(e.to_string()))?;
        line.trim().to_string()
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Personal access token (Settings → API tokens): ")
            .map_err(|e| refused(e.to_string()))?
    } else {
        return Err(refused(
            "No terminal to ask on: pass the token on standard input with --with-token.",
        ));
    };
    if !token.starts_with("gat_") {
        return Err(Failure::NotSignedIn(
            "That is not a Gatehouse token (they start with gat_).".into(),
        ));
    }
    let api = Api::new(url, &token)?;
    let me: CurrentUser = api.get("/me")?;
    let path = config::save(&config::Saved {
        url: Some(api.base().to_string()),
        token: Some(token),
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&me).unwrap_or_default());
    } else {
        println!(
            "Signed in to {} as {} <{}> (kept in {}).",
            api.base(),
            me.name,
            me.email,
            path.display()
        );
    }
    Ok(())
}

fn logout() -> Outcome<()> {
    let mut saved = config::load()?;
    saved.token = None;
    config::save(&saved)?;
    println!("Signed out: the token is no longer kept here (it still works until it is revoked or expires).");
    Ok(())
}

fn integrations(cx: &Ctx, c: IntegrationsCmd) -> Outcome<()> {
    match c {
        IntegrationsCmd::List => {
            let mine: MyIntegrations = cx.api.get("/integrations")?;
            cx.out(&mine, || {
                let rows = mine
                    .team
                    .iter()
                    .map(|i| {
                        (
                            i,
                            i.role.map(|r| r.as_str().to_string()).unwrap_or_default(),
                        )
                    })
                    .chain(mine.shared.iter().map(|i| (i, "user".to_string())))
                    .map(|(i, how)| {
                        vec![
                            i.id.to_string(),
                            i.slug.clone(),
                            i.name.clone(),
                            i.visibility.clone(),
                            how,
                        ]
                    })
                    .collect();
                table(
                    &["ID", "Slug", "Name", "Visibility", "You are"],
                    rows,
                    "No integrations yet.",
                )
            })
        }
        IntegrationsCmd::Show { integration } => {
            let id = cx.integration(&Which {
                integration: Some(integration),
            })?;
            let page: IntegrationPage = cx.api.get(&format!("/integrations/{id}"))?;
            cx.out(&page, || {
                let versions = page
                    .versions
                    .iter()
                    .map(|v| v.version.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "{} ({})\n{}\nVisibility: {}\nYou are: {}\nVersions: {}",
                    page.name,
                    page.slug,
                    page.description,
                    page.visibility,
                    page.role.as_str(),
                    if versions.is_empty() {
                        "none yet".into()
                    } else {
                        versions
                    }
                )
            })
        }
    }
}

fn users(cx: &Ctx, c: UsersCmd) -> Outcome<()> {
    match c {
        UsersCmd::Add {
            mut emails,
            file,
            version,
            dated,
            which,
        } => {
            let (starts_at, ends_at) = (date_arg(dated.starts)?, date_arg(dated.ends)?);
            if let Some(f) = file {
                let text = std::fs::read_to_string(&f)
                    .map_err(|e| refused(format!("Could not read {}: {e}", f.display())))?;
                emails.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string),
                );
            }
            if emails.is_empty() {
                return Err(refused("Name at least one address (or a file with -f)."));
            }
            let id = cx.integration(&which)?;
            let version_id = cx.version(id, version.as_deref())?;
            let report: Option<InviteReport> = cx.api.write(
                Method::POST,
                &format!("/integrations/{id}/invitations"),
                Some(&NewInvitations {
                    emails,
                    version_id,
                    starts_at,
                    ends_at,
                }),
            )?;
            let report = report.unwrap_or_default();
            cx.out(&report, || {
                let mut s = format!(
                    "Invited {}: {}",
                    report.invited.len(),
                    report.invited.join(", ")
                );
                for (email, why) in &report.skipped {
                    s.push_str(&format!("\nSkipped {email}: {why}"));
                }
                s
            })
        }
        UsersCmd::List { status, which } => {
            let id = cx.integration(&which)?;
            let mut list: Vec<InviteView> =
                cx.api.get(&format!("/integrations/{id}/invitations"))?;
            if let Some(s) = status {
                list.retain(|i| i.status == s);
            }
            cx.out(&list, || {
                let rows = list
                    .iter()
                    .map(|i| {
                        vec![
                            i.email.clone(),
                            i.version.clone().unwrap_or_else(|| "all".into()),
                            i.status.clone(),
                            day(&i.invited_at),
                            i.accepted_at.as_ref().map(day).unwrap_or_default(),
                        ]
                    })
                    .collect();
                table(
                    &["Email", "Version", "Status", "Invited", "Accepted"],
                    rows,
                    "No email invitations.",
                )
            })
        }
        UsersCmd::Links {
            action: None,
            which,
        } => {
            let id = cx.integration(&which)?;
            let links: Vec<LinkView> = cx.api.get(&format!("/integrations/{id}/links"))?;
            print_links(cx, &links)
        }
        UsersCmd::Links {
            action:
                Some(LinksCmd::Rotate {
                    version,
                    which: inner,
                }),
            which,
        } => {
            let which = if inner.integration.is_some() {
                inner
            } else {
                which
            };
            let id = cx.integration(&which)?;
            let links: Vec<LinkView> = cx.api.get(&format!("/integrations/{id}/links"))?;
            let link = links
                .iter()
                .find(|l| !l.rotated && l.version == version)
                .ok_or_else(|| refused("There is no live link for that version."))?;
            cx.confirm(&format!(
                "Rotate the link to {}? The old link stops admitting new people.",
                version.as_deref().unwrap_or("all versions")
            ))?;
            cx.api.act::<()>(
                Method::POST,
                &format!("/integrations/{id}/links/{}/rotate", link.id),
                None,
            )?;
            let links: Vec<LinkView> = cx.api.get(&format!("/integrations/{id}/links"))?;
            print_links(cx, &links)
        }
        UsersCmd::Remove {
            email,
            version,
            which,
        } => {
            let id = cx.integration(&which)?;
            let version_id = cx.version(id, version.as_deref())?;
            let people: Vec<AccessView> = cx.api.get(&format!("/integrations/{id}/users"))?;
            let user = people
                .iter()
                .find(|p| p.email.eq_ignore_ascii_case(&email))
                .map(|p| p.user_id)
                .ok_or_else(|| refused(format!("{email} has no access to this integration.")))?;
            let scope = Scope { version_id };
            let preview: RevokePreview = cx.api.get_query(
                &format!("/integrations/{id}/users/{user}/revocation-preview"),
                &scope,
            )?;
            cx.confirm(&format!(
                "Remove {} <{}> from {}? {} of their Zaps will pause.",
                preview.name, preview.email, preview.scope, preview.zaps_to_pause
            ))?;
            let done: Revoked = cx.api.act_query(
                Method::DELETE,
                &format!("/integrations/{id}/users/{user}"),
                &scope,
            )?;
            cx.out(&done, || {
                format!(
                    "Removed {} from {}; {} Zaps paused.",
                    preview.email, preview.scope, done.zaps_paused
                )
            })
        }
    }
}

fn print_links(cx: &Ctx, links: &[LinkView]) -> Outcome<()> {
    cx.out(&links, || {
        let rows = links
            .iter()
            .filter(|l| !l.rotated)
            .map(|l| {
                vec![
                    l.version.clone().unwrap_or_else(|| "all versions".into()),
                    l.url.clone().unwrap_or_else(|| "(admins only)".into()),
                    l.joined.len().to_string(),
                ]
            })
            .collect();
        table(&["Version", "Link", "Joined"], rows, "No invite links.")
    })
}

fn team_member(page: &TeamPage, email: &str) -> Outcome<MemberView> {
    page.members
        .iter()
        .find(|m| m.email.eq_ignore_ascii_case(email))
        .cloned()
        .ok_or_else(|| refused(format!("{email} is not on the team of {}.", page.name)))
}

fn team(cx: &Ctx, c: TeamCmd) -> Outcome<()> {
    match c {
        TeamCmd::Add {
            email,
            role,
            message,
            dated,
            then_collaborator,
            which,
        } => {
            let (starts_at, ends_at) = (date_arg(dated.starts)?, date_arg(dated.ends)?);
            let id = cx.integration(&which)?;
            let invited: Option<wire::api::Invited> = cx.api.write(
                Method::POST,
                &format!("/integrations/{id}/team/invitations"),
                Some(&TeamInvitation {
                    email,
                    role: role.clone(),
                    note: message.unwrap_or_default(),
                    starts_at,
                    ends_at,
                    then_collaborator,
                }),
            )?;
            let invited = invited.ok_or_else(|| refused("The server answered nothing."))?;
            cx.out(&invited, || format!("Invited {} as {role}.", invited.email))
        }
        TeamCmd::List { which } => {
            let id = cx.integration(&which)?;
            let page: TeamPage = cx.api.get(&format!("/integrations/{id}/team"))?;
            cx.out(&page.members, || {
                let rows = page
                    .members
                    .iter()
                    .map(|m| {
                        let contact = [
                            (page.marketing_contact, "marketing"),
                            (page.technical_contact, "technical"),
                        ]
                        .iter()
                        .filter(|(c, _)| c.is_some() && *c == m.user_id)
                        .map(|(_, k)| *k)
                        .collect::<Vec<_>>()
                        .join(", ");
                        vec![
                            m.name.clone().unwrap_or_default(),
                            m.email.clone(),
                            m.role.as_str().to_string(),
                            m.status.clone(),
                            contact,
                        ]
                    })
                    .collect();
                format!(
                    "{} ({} of {} places taken)\n{}",
                    page.name,
                    page.counted,
                    page.cap,
                    table(
                        &["Name", "Email", "Role", "Status", "Contact"],
                        rows,
                        "Nobody yet."
                    )
                )
            })
        }
        TeamCmd::Remove { email, which } => {
            let id = cx.integration(&which)?;
            let page: TeamPage = cx.api.get(&format!("/integrations/{id}/team"))?;
            let m = team_member(&page, &email)?;
            cx.confirm(&format!(
                "Remove {} ({}, {}) from the team of {}?",
                m.email,
                m.role.as_str(),
                m.status,
                page.name
            ))?;
            cx.api.act::<()>(
                Method::DELETE,
                &format!("/integrations/{id}/team/{}", m.id),
                None,
            )?;
            cx.out(&serde_json::json!({ "removed": m.email }), || {
                format!("Removed {} from the team.", m.email)
            })
        }
        TeamCmd::Role {
            email,
            role,
            reason,
            which,
        } => {
            let id = cx.integration(&which)?;
            let page: TeamPage = cx.api.get(&format!("/integrations/{id}/team"))?;
            let m = team_member(&page, &email)?;
            cx.api.act(
                Method::PATCH,
                &format!("/integrations/{id}/team/{}", m.id),
                Some(&RoleInput {
                    role: role.clone(),
                    reason,
                }),
            )?;
            cx.out(
                &serde_json::json!({ "email": m.email, "role": role }),
                || format!("{} is now {role}.", m.email),
            )
        }
        TeamCmd::Leave { which } => {
            let id = cx.integration(&which)?;
            let page: TeamPage = cx.api.get(&format!("/integrations/{id}/team"))?;
            cx.confirm(&format!(
                "Leave the team of {}? Only an admin can invite you back.",
                page.name
            ))?;
            cx.api.act::<()>(
                Method::POST,
                &format!("/integrations/{id}/team/leave"),
                None,
            )?;
            cx.out(&serde_json::json!({ "left": page.name }), || {
                format!("You left the team of {}.", page.name)
            })
        }
        TeamCmd::Contact { kind, email, which } => {
            let id = cx.integration(&which)?;
            let page: TeamPage = cx.api.get(&format!("/integrations/{id}/team"))?;
            let m = team_member(&page, &email)?;
            let user_id = m
                .user_id
                .ok_or_else(|| refused(format!("{email} has not accepted the invitation yet.")))?;
            cx.api.act(
                Method::PUT,
                &format!("/integrations/{id}/contacts/{kind}"),
                Some(&ContactInput {
                    user_id: Some(user_id),
                }),
            )?;
            cx.out(
                &serde_json::json!({ "kind": kind, "email": m.email }),
                || format!("{} is now the {kind} contact.", m.email),
            )
        }
    }
}

fn members(cx: &Ctx, c: MembersCmd) -> Outcome<()> {
    match c {
        MembersCmd::List { account } => {
            let id = cx.account(&account)?;
            let list = cx.all_members(id)?;
            cx.out(&list, || {
                let rows = list
                    .iter()
                    .map(|m| {
                        vec![
                            m.name.clone(),
                            m.email.clone(),
                            m.role.as_str().to_string(),
                            day(&m.joined_at),
                        ]
                    })
                    .collect();
                table(&["Name", "Email", "Role", "Joined"], rows, "No members.")
            })
        }
        MembersCmd::Remove {
            account,
            email,
            new_owner,
            connections,
            preview,
        } => {
            let id = cx.account(&account)?;
            let list = cx.all_members(id)?;
            let find = |e: &str| {
                list.iter()
                    .find(|m| m.email.eq_ignore_ascii_case(e))
                    .map(|m| m.user_id)
                    .ok_or_else(|| refused(format!("{e} is not a member of this account.")))
            };
            let user = find(&email)?;
            let how = Handover {
                new_owner: new_owner.as_deref().map(find).transpose()?,
                private_connections: if connections == "30d" {
                    "30_days"
                } else {
                    "until_expiry"
                }
                .into(),
                reason: None,
            };
            let report: TransferReport = cx.api.get_query(
                &format!("/accounts/{id}/members/{user}/removal-preview"),
                &how,
            )?;
            if preview {
                return cx.out(&report, || describe(&report, true));
            }
            if !cx.json {
                eprintln!("{}", describe(&report, true));
            }
            cx.confirm(&format!(
                "Remove {} and move their work to {}?",
                report.removed_name, report.new_owner_name
            ))?;
            let done: Removed = cx.api.act_query(
                Method::DELETE,
                &format!("/accounts/{id}/members/{user}"),
                &how,
            )?;
            cx.out(&done, || describe(&done.report, false))
        }
        MembersCmd::Export { account, email } => {
            let id = cx.account(&account)?;
            let user = cx
                .all_members(id)?
                .into_iter()
                .find(|m| m.email.eq_ignore_ascii_case(&email))
                .map(|m| m.user_id)
                .ok_or_else(|| refused(format!("{email} is not a member of this account.")))?;
            let csv = cx
                .api
                .get_bytes(&format!("/accounts/{id}/members/{user}/export.csv"))?;
            std::io::stdout()
                .write_all(&csv)
                .map_err(|e| refused(e.to_string()))
        }
    }
}

/// What a removal moves, in words (OF-8).
fn describe(r: &TransferReport, preview: bool) -> String {
    let verb = if preview { "would move" } else { "moved" };
    let mut s = format!(
        "Removing {} {verb} their work to {}:\n  {} private and {} shared Zaps ({} on)\n  {} connections ({} private), renamed \"{} - …\"\n  {} shared folders; {} personal folders abandoned\n  {} webhook URLs change",
        r.removed_name,
        r.new_owner_name,
        r.private_zaps,
        r.shared_zaps,
        r.zaps_on,
        r.connections,
        r.private_connections,
        r.removed_name,
        r.shared_folders,
        r.personal_folders_abandoned,
        r.webhooks
    );
    if let Some(f) = &r.new_folder {
        s.push_str(&format!(
            "\n  their private Zaps go into a new folder \"{f}\""
        ));
    }
    if let Some(t) = r.private_expire_by {
        s.push_str(&format!(
            "\n  private connections stop working by {}",
            day(&t)
        ));
    }
    s
}

fn instances(cx: &Ctx, c: InstancesCmd) -> Outcome<()> {
    match c {
        InstancesCmd::List => {
            let page: InstancesPage = cx.api.get("/instances")?;
            cx.out(&page, || {
                let rows = page
                    .mine
                    .iter()
                    .chain(page.shared.iter())
                    .map(|i| {
                        vec![
                            i.id.to_string(),
                            i.name.clone(),
                            i.app.clone(),
                            i.status.clone(),
                            i.owner_name.clone(),
                            i.access.as_str().to_string(),
                        ]
                    })
                    .collect();
                table(
                    &["ID", "Name", "App", "Status", "Owner", "Your access"],
                    rows,
                    "No instances yet.",
                )
            })
        }
        InstancesCmd::Share {
            id,
            email,
            read: _,
            write,
            dated,
        } => {
            let (starts_at, ends_at) = (date_arg(dated.starts)?, date_arg(dated.ends)?);
            let access = if write { "write" } else { "read" };
            cx.api.act(
                Method::PUT,
                &format!("/instances/{id}/shares"),
                Some(&ShareInput {
                    email: email.clone(),
                    access: access.into(),
                    starts_at,
                    ends_at,
                }),
            )?;
            cx.out(
                &serde_json::json!({ "email": email, "access": access }),
                || format!("Shared with {email} ({access})."),
            )
        }
        InstancesCmd::Revoke { id, email } => {
            let detail: InstanceDetail = cx.api.get(&format!("/instances/{id}"))?;
            if let Some(s) = detail
                .shares
                .iter()
                .find(|s| s.email.eq_ignore_ascii_case(&email))
            {
                cx.confirm(&format!("Stop sharing {} with {}?", detail.name, s.email))?;
                cx.api.act::<()>(
                    Method::DELETE,
                    &format!("/instances/{id}/shares/{}", s.user_id),
                    None,
                )?;
            } else if detail
                .invites
                .iter()
                .any(|i| i.email.eq_ignore_ascii_case(&email))
            {
                cx.confirm(&format!(
                    "Withdraw the invitation of {email} to {}?",
                    detail.name
                ))?;
                cx.api.act_with_query(
                    Method::DELETE,
                    &format!("/instances/{id}/invitations"),
                    &[("email", &email)],
                )?;
            } else {
                return Err(refused(format!(
                    "{} is not shared with {email}.",
                    detail.name
                )));
            }
            cx.out(&serde_json::json!({ "revoked": email }), || {
                format!("{email} no longer has {}.", detail.name)
            })
        }
    }
}
