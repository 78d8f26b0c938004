//! The team screen (TM-1 … TM-8) and the team-invitation landing page (TM-4, TM-9).
//! Controls are shown by the same policy the server applies; the server refuses the rest.
use super::api::*;
use super::MemberView;
use crate::components::{last_error, Field, FormError, LoadError, Loading, Notice};
use crate::domain::policy::{self, TeamAction};
use crate::domain::roles::TeamRole;
use crate::domain::team::default_note;
use crate::error::AppError;
use crate::integrations::view::{id_param, IntegrationTabs, SignInToAccept};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

fn who(m: &MemberView) -> String {
    match &m.name {
        Some(n) => n.clone(),
        None => m.email.clone(),
    }
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let id = id_param();
    let q = use_query_map();
    let invite = ServerAction::<InviteMember>::new();
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let leave = ServerAction::<LeaveTeam>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let contact = ServerAction::<SetContact>::new();
    let subscribe = ServerAction::<SetSubscription>::new();
    let update = ServerAction::<SendUpdate>::new();
    let join = ServerAction::<crate::join::api::SetJoinSettings>::new();
    let changes = move || {
        invite.version().get()
            + change.version().get()
            + remove.version().get()
            + resend.version().get()
            + contact.version().get()
            + subscribe.version().get()
            + join.version().get()
    };
    let page = Resource::new(
        move || (id(), changes()),
        |(id, _)| async move {
            match id {
                Some(id) => get_team(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let row_error = Signal::derive(move || {
        last_error(change.value())
            .get()
            .or_else(|| last_error(resend.value()).get())
    });
    let remove_error = Signal::derive(move || {
        last_error(remove.value())
            .get()
            .or_else(|| last_error(leave.value()).get())
    });
    let contact_error = last_error(contact.value());
    let update_error = last_error(update.value());
    view! {
        <Notice key="welcome" text="Welcome to the team." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(p) => p,
                };
                let role = Some(p.my_role);
                let admin = policy::team(role, TeamAction::ChangeRole).is_ok();
                let may_contacts = policy::team(role, TeamAction::AssignContact).is_ok();
                let may_update = policy::team(role, TeamAction::SendUpdate).is_ok();
                let iid = p.id;
                let removing = q.with(|q| q.get("remove").and_then(|s| Uuid::parse_str(&s).ok()));
                let leaving = q.with(|q| q.get("leave").as_deref() == Some("1"));
                let confirm = removing.and_then(|m| p.members.iter().find(|x| x.id == m).cloned());
                let accepted: Vec<MemberView> = p.members.iter().filter(|m| m.status == "accepted").cloned().collect();
                let admins = accepted.iter().filter(|m| m.role == TeamRole::Admin).count();
                let options: Vec<(Uuid, String)> = accepted.iter().filter_map(|m| m.user_id.map(|u| (u, who(m)))).collect();
                let contact_name = |u: Option<Uuid>| u.and_then(|u| options.iter().find(|(x, _)| *x == u).map(|(_, n)| n.clone()));
                let (mk, tk) = (contact_name(p.marketing_contact), contact_name(p.technical_contact));
                view! {
                    <p class="crumbs"><a href="/integrations">"Integrations"</a></p>
                    <h1>{format!("{} team", p.name)}</h1>
                    <IntegrationTabs id=iid current="team" collaborator=p.my_role != TeamRole::Admin />
                    <p>
                        {format!("{} of {} places used (pending invitations count). Your role: {}.", p.counted, p.cap, p.my_role.as_str())}
                        {(!admin).then_some(" Admins change roles and contacts; you can invite collaborators, remove collaborators and leave.")}
                    </p>
                    {confirm.map(|m| {
                        let pending = m.status != "accepted";
                        let title = if pending { format!("Cancel the invitation of {}?", m.email) } else { format!("Remove {} from the team?", who(&m)) };
                        let body = if pending { "The invitation link stops working at once.".to_string() } else {
                            format!("{} loses access to the team's screens on their next request, and stops receiving its updates. {}", who(&m),
                                if m.role == TeamRole::Admin { "An admin who is removed comes back only through an admin's invitation." } else { "" })
                        };
                        view! {
                            <section class="card confirm" role="alertdialog" aria-labelledby="remove-title" aria-describedby="remove-body">
                                <h2 id="remove-title">{title.clone()}</h2>
                                <p id="remove-body">{body}</p>
                                <ActionForm action=remove>
                                    <FormError error=remove_error />
                                    <input type="hidden" name="id" value=iid.to_string() />
                                    <input type="hidden" name="member_id" value=m.id.to_string() />
                                    <button type="submit" class="danger">{if pending { "Cancel invitation" } else { "Remove from team" }}</button>
                                    " " <a href="?">"Keep"</a>
                                </ActionForm>
                            </section>
                        }
                    })}
                    {(leaving && p.members.iter().any(|m| m.is_me && crate::domain::team::is_last_admin(m.role, m.status == "accepted", admins))).then(|| view! {
                        <section class="card confirm" role="alertdialog" aria-labelledby="leave-title">
                            <h2 id="leave-title">"You cannot leave yet"</h2>
                            <p>"You are the team's last admin: make another member an admin first, so that the team keeps one."</p>
                            <a href="?">"Back to the team"</a>
                        </section>
                    })}
                    {(leaving && !p.members.iter().any(|m| m.is_me && crate::domain::team::is_last_admin(m.role, m.status == "accepted", admins))).then(|| view! {
                        <section class="card confirm" role="alertdialog" aria-labelledby="leave-title">
                            <h2 id="leave-title">{format!("Leave the {} team?", p.name)}</h2>
                            <p>"You lose access to its team screens at once and stop receiving its updates. To come back you need a new invitation."</p>
                            <ActionForm action=leave>
                                <FormError error=remove_error />
                                <input type="hidden" name="id" value=iid.to_string() />
                                <button type="submit" class="danger">"Leave the team"</button>
                                " " <a href="?">"Stay"</a>
                            </ActionForm>
                        </section>
                    })}
                    <section aria-labelledby="members-title">
                        <h2 id="members-title">"Members"</h2>
                        <FormError error=row_error />
                        <table class="members">
                            <thead><tr>
                                <th scope="col">"Member"</th><th scope="col">"Role"</th><th scope="col">"Status"</th>
                                <th scope="col">"Invited"</th><th scope="col">"Contact for"</th><th scope="col">"Actions"</th>
                            </tr></thead>
                            <tbody>
                                {p.members.clone().into_iter().map(|m| {
                                    let target = m.role;
                                    let may_remove = policy::team(role, TeamAction::RemoveMember { target, is_self: m.is_me }).is_ok();
                                    let may_resend = m.status != "accepted" && policy::team(role, TeamAction::Invite { role: target }).is_ok();
                                    // What the rules would refuse is not offered; the row says why (TM-6).
                                    let last = crate::domain::team::is_last_admin(target, m.status == "accepted", admins);
                                    let may_role = admin && m.status == "accepted" && !last;
                                    let may_remove = may_remove && !last;
                                    let mut contacts = Vec::new();
                                    if m.user_id.is_some() && m.user_id == p.marketing_contact { contacts.push("marketing"); }
                                    if m.user_id.is_some() && m.user_id == p.technical_contact { contacts.push("technical"); }
                                    let label = who(&m);
                                    let other = if target == TeamRole::Admin { TeamRole::Collaborator } else { TeamRole::Admin };
                                    let role_text = format!("Make {label} {}", if other == TeamRole::Admin { "an admin" } else { "a collaborator" });
                                    let remove_text = if m.status == "accepted" { format!("Remove {label}…") } else { format!("Cancel invitation of {}…", m.email) };
                                    let resend_text = format!("Resend invitation to {}", m.email);
                                    view! {
                                        <tr>
                                            <td>{label.clone()}{m.is_me.then_some(" (you)")}" "<span class="hint">{m.email.clone()}</span></td>
                                            <td>{target.as_str()}</td>
                                            <td><span class=format!("status {}", m.status)>{m.status.clone()}</span>{(m.source == "join").then_some(" · joined by domain")}</td>
                                            <td>{m.invited_by.clone().map(|b| format!("by {b}, ")).unwrap_or_default()}<span class="date">{m.invited_at.format("%Y-%m-%d").to_string()}</span></td>
                                            <td>{contacts.join(", ")}</td>
                                            <td class="row-actions">
                                                {may_role.then(|| view! {
                                                    <ActionForm action=change>
                                                        <input type="hidden" name="id" value=iid.to_string() />
                                                        <input type="hidden" name="member_id" value=m.id.to_string() />
                                                        <input type="hidden" name="role" value=other.as_str() />
                                                        <button type="submit" class="link-button">{role_text}</button>
                                                    </ActionForm>
                                                })}
                                                {may_resend.then(|| view! {
                                                    <ActionForm action=resend>
                                                        <input type="hidden" name="id" value=iid.to_string() />
                                                        <input type="hidden" name="member_id" value=m.id.to_string() />
                                                        <button type="submit" class="link-button">{resend_text}</button>
                                                    </ActionForm>
                                                })}
                                                {if last && (admin || m.is_me) {
                                                    view! { <span class="hint">{if m.is_me { "You are the last admin: make another member an admin before you leave or change your role." } else { "The last admin: make another member an admin first." }}</span> }.into_any()
                                                } else if last {
                                                    ().into_any()
                                                } else if m.is_me {
                                                    view! { <a href="?leave=1">"Leave the team…"</a> }.into_any()
                                                } else if may_remove {
                                                    view! { <a href=format!("?remove={}", m.id)>{remove_text}</a> }.into_any()
                                                } else { ().into_any() }}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                    <InviteForm id=iid name=p.name.clone() may_admin=policy::team(role, TeamAction::Invite { role: TeamRole::Admin }).is_ok() invite=invite />
                    <section aria-labelledby="contacts-title">
                        <h2 id="contacts-title">"Contacts"</h2>
                        <p class="hint">"The marketing contact is shown to people invited to use the integration. One person may be both. Nobody is emailed about changes."</p>
                        {if may_contacts {
                            view! {
                                <FormError error=contact_error />
                                <div class="contact-forms">
                                    {[("marketing", "Marketing contact", p.marketing_contact), ("technical", "Technical contact", p.technical_contact)].into_iter().map(|(kind, label, current)| { let opts = options.clone(); view! {
                                        <ActionForm action=contact attr:class="inline-form">
                                            <input type="hidden" name="id" value=iid.to_string() />
                                            <input type="hidden" name="kind" value=kind />
                                            <label for=format!("contact-{kind}")>{label}</label>
                                            <select id=format!("contact-{kind}") name="user_id">
                                                <option value="" selected=current.is_none()>"Nobody"</option>
                                                {opts.into_iter().map(|(u, n)| view! {
                                                    <option value=u.to_string() selected=current == Some(u)>{n}</option>
                                                }).collect_view()}
                                            </select>
                                            <button type="submit">{format!("Save {}", label.to_lowercase())}</button>
                                        </ActionForm>
                                    } }).collect_view()}
                                </div>
                            }.into_any()
                        } else {
                            view! {
                                <ul>
                                    <li>"Marketing contact: "{mk.unwrap_or_else(|| "nobody".into())}</li>
                                    <li>"Technical contact: "{tk.unwrap_or_else(|| "nobody".into())}</li>
                                </ul>
                            }.into_any()
                        }}
                    </section>
                    <section aria-labelledby="subs-title" class="card narrow">
                        <h2 id="subs-title">"Your email subscriptions"</h2>
                        <ActionForm action=subscribe>
                            <input type="hidden" name="id" value=iid.to_string() />
                            <div class="check"><input type="checkbox" id="sub-marketing" name="marketing" value="on" checked=p.my_marketing /><label for="sub-marketing">"Partner marketing updates"</label></div>
                            <div class="check"><input type="checkbox" id="sub-platform" checked disabled aria-describedby="sub-always" /><label for="sub-platform">"Platform updates"</label></div>
                            <div class="check"><input type="checkbox" id="sub-programme" checked disabled aria-describedby="sub-always" /><label for="sub-programme">"Partner-programme updates"</label></div>
                            <p class="hint" id="sub-always">"Platform and partner-programme updates are always on while you are on the team, and stop when you leave it."</p>
                            <button type="submit">"Save subscriptions"</button>
                            {move || matches!(subscribe.value().get(), Some(Ok(()))).then(|| view! { <p class="notice" role="status">"Saved."</p> })}
                        </ActionForm>
                    </section>
                    {may_update.then(|| view! {
                        <section aria-labelledby="update-title" class="card">
                            <h2 id="update-title">"Send an update to the team"</h2>
                            <ActionForm action=update>
                                <FormError error=update_error />
                                <input type="hidden" name="id" value=iid.to_string() />
                                <div class="field">
                                    <label for="update-kind">"Kind"</label>
                                    <select id="update-kind" name="kind">
                                        <option value="marketing">"Partner marketing update (members may switch these off)"</option>
                                        <option value="programme">"Platform or partner-programme update (every member)"</option>
                                    </select>
                                </div>
                                <Field label="Subject" name="subject" required=true error=update_error />
                                <div class="field">
                                    <label for="update-body">"Message"</label>
                                    <textarea id="update-body" name="body" rows="5" required></textarea>
                                    <p class="field-error" role="alert">{move || update_error.get().and_then(|e| e.field_message("body"))}</p>
                                </div>
                                <button type="submit" disabled=move || update.pending().get()>{move || if update.pending().get() { "Sending…" } else { "Send update" }}</button>
                                {move || match update.value().get() {
                                    Some(Ok(n)) => Some(view! { <p class="notice" role="status">{format!("Sent to {n} member{}.", if n == 1 { "" } else { "s" })}</p> }),
                                    _ => None,
                                }}
                            </ActionForm>
                        </section>
                    })}
                    <crate::join::view::JoinSettings
                        id=iid
                        admin=policy::team(role, TeamAction::ManageJoinAndEmbed).is_ok()
                        public=p.visibility == "public"
                        enabled=p.join_enabled
                        domains=p.join_domains.clone()
                        action=join
                    />
                }.into_any()
            })}
        </Suspense>
    }
}

/// Invite with a role and a note (TM-3). The note starts as the role's default message
/// and follows the role until the inviter edits it. Only roles the policy allows are offered.
#[component]
fn InviteForm(
    id: Uuid,
    name: String,
    may_admin: bool,
    invite: ServerAction<InviteMember>,
) -> impl IntoView {
    let error = last_error(invite.value());
    let edited = RwSignal::new(false);
    let initial = default_note(TeamRole::Collaborator, &name);
    let note = RwSignal::new(initial.clone());
    let on_role = move |ev: leptos::ev::Event| {
        let role = TeamRole::parse(&event_target_value(&ev)).unwrap_or(TeamRole::Collaborator);
        if !edited.get_untracked() {
            note.set(default_note(role, &name));
        }
    };
    view! {
        <section aria-labelledby="invite-title" class="card">
            <h2 id="invite-title">"Invite to the team"</h2>
            <ActionForm action=invite>
                <FormError error=error />
                <input type="hidden" name="id" value=id.to_string() />
                <Field label="Email" name="email" kind="email" required=true error=error />
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role" on:change=on_role aria-describedby="invite-role-hint">
                        <option value="collaborator" selected>"Collaborator (read-only: performance, history, feedback, embed tools)"</option>
                        {may_admin.then(|| view! { <option value="admin">"Admin (edits the integration, its sharing and its team)"</option> })}
                    </select>
                    <p class="hint" id="invite-role-hint">{if may_admin { "Admins may invite admins and collaborators." } else { "Collaborators may invite collaborators only." }}</p>
                </div>
                <div class="field">
                    <label for="invite-note">"Note"</label>
                    <p class="hint" id="invite-note-hint">"Sent with the invitation. Keep the default message or write your own."</p>
                    <textarea id="invite-note" name="note" rows="3" aria-describedby="invite-note-hint invite-note-error"
                        prop:value=move || note.get()
                        on:input=move |ev| { edited.set(true); note.set(event_target_value(&ev)); }>{initial}</textarea>
                    <p class="field-error" id="invite-note-error" role="alert">{move || error.get().and_then(|e| e.field_message("note"))}</p>
                </div>
                <fieldset class="dates">
                    <legend>"Dates (optional, UTC)"</legend>
                    <div class="field">
                        <label for="team-starts">"Membership starts"</label>
                        <input id="team-starts" name="starts_at" type="datetime-local" aria-describedby="team-dates-error" />
                    </div>
                    <div class="field">
                        <label for="team-ends">"Membership ends"</label>
                        <input id="team-ends" name="ends_at" type="datetime-local" aria-describedby="team-dates-error" />
                    </div>
                    {may_admin.then(|| view! {
                        <div class="field">
                            <label><input type="checkbox" name="then_collaborator" value="on" />" An admin stays on as collaborator after the end"</label>
                        </div>
                    })}
                    <p class="field-error" id="team-dates-error" role="alert">{move || error.get().and_then(|e| e.field_message("ends_at").or_else(|| e.field_message("starts_at")).or_else(|| e.field_message("then_collaborator")))}</p>
                </fieldset>
                <button type="submit" disabled=move || invite.pending().get()>{move || if invite.pending().get() { "Sending…" } else { "Send invitation" }}</button>
                {move || match invite.value().get() {
                    Some(Ok(email)) => Some(view! { <p class="notice" role="status">{format!("Invitation sent to {email}.")}</p> }),
                    _ => None,
                }}
            </ActionForm>
        </section>
    }
}

#[component]
pub fn TeamInvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let landing = Resource::new(token, get_team_invitation);
    let accept = ServerAction::<AcceptTeamInvitation>::new();
    let error = last_error(accept.value());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match landing.await {
                    Err(AppError::Unauthenticated) => view! {
                        <SignInToAccept next=format!("/team-invite/{}", token()) text="Sign in with the address the invitation was sent to, or create a login with it, to see it and accept." />
                    }.into_any(),
                    Err(e) => view! { <section class="card narrow"><h1>"Team invitation"</h1><LoadError error=e /></section> }.into_any(),
                    Ok(l) => view! {
                        <section class="card narrow" aria-labelledby="team-invite-title">
                            <h1 id="team-invite-title">{format!("Join the {} team", l.integration)}</h1>
                            <p>{l.description.clone()}</p>
                            <p>{format!("{} invited {} as {}.", l.inviter.clone().unwrap_or_else(|| "The team".into()), l.email,
                                if l.role == TeamRole::Admin { "an admin" } else { "a collaborator" })}</p>
                            <blockquote class="note">{l.note.clone()}</blockquote>
                            {l.marketing_contact.clone().map(|(n, e)| view! { <p class="contact">"Marketing contact: "{n}" "<a href=format!("mailto:{e}")>{e.clone()}</a></p> })}
                            {if l.already_member {
                                view! { <p class="notice">"You are already on this team."</p> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=accept>
                                        <FormError error=error />
                                        <input type="hidden" name="token" value=token() />
                                        <button type="submit">"Accept and join the team"</button>
                                    </ActionForm>
                                }.into_any()
                            }}
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
