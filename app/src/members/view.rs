//! The remove-member dialog, as a page of its own so it works without JavaScript:
//! search and choose the new owner, choose the expiry, preview, then confirm.
use super::api::*;
use super::{ConnectionExpiry, TransferReport, UndoReport};
use crate::components::{last_error, FormError, LoadError, Loading};
use crate::domain::plural;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

#[component]
fn Preview(r: TransferReport) -> impl IntoView {
    let expiry = match (r.expiry, r.private_expire_by) {
        (Some(ConnectionExpiry::ThirtyDays), Some(t)) => {
            format!("stop working by {}", t.format("%Y-%m-%d"))
        }
        (Some(ConnectionExpiry::ThirtyDays), None) => "stop working within 30 days".into(),
        _ => "keep working until they expire on their own schedule".into(),
    };
    if r.moves_nothing() {
        return view! {
            <section class="card preview" aria-labelledby="preview-title">
                <h2 id="preview-title">"What will happen"</h2>
                <p>{format!("{} has no Zaps, folders or app connections in this account: nothing moves. They lose access at once.", r.removed_name)}</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="card preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"What will happen"</h2>
            <ul>
                <li>{format!("{} move to {} ({} private, {} shared); {} on stay on.",
                    plural(r.private_zaps + r.shared_zaps, "Zap", "Zaps"), r.new_owner_name, r.private_zaps, r.shared_zaps, r.zaps_on)}</li>
                {r.new_folder.clone().map(|f| view! { <li>{format!("A new folder “{f}” is created for {}, holding {}.", r.new_owner_name, plural(r.zaps_into_new_folder, "Zap", "Zaps"))}</li> })}
                <li>{format!("{} change owner{}", plural(r.shared_folders, "shared folder", "shared folders"),
                    if r.shared_folder_names.is_empty() { ".".to_string() } else { format!(": {}.", r.shared_folder_names.join(", ")) })}</li>
                <li>{format!("{} of {} emptied and abandoned.", plural(r.personal_folders_abandoned, "personal folder", "personal folders"), r.removed_name)}</li>
                <li>{format!("{} renamed “{} - …”; {} private ones {expiry}.",
                    plural(r.connections, "app connection", "app connections"), r.removed_name, r.private_connections)}</li>
                <li>{format!("{} get a new webhook URL; the old URLs stop answering. The new owner finds the new URLs on their Zaps page.", plural(r.webhooks, "Zap", "Zaps"))}</li>
            </ul>
            {(!r.renames.is_empty()).then(|| view! {
                <h3>"Shared connections renamed"</h3>
                <ul class="renames">{r.renames.iter().map(|n| view! { <li>{format!("{} → {}", n.from, n.to)}</li> }).collect_view()}</ul>
            })}
        </section>
    }
    .into_any()
}

#[component]
pub fn RemovePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let ids = move || {
        params.with(|p| {
            let a = p.get("id").and_then(|s| Uuid::parse_str(&s).ok());
            let u = p.get("uid").and_then(|s| Uuid::parse_str(&s).ok());
            a.zip(u)
        })
    };
    let q = move || query.with(|q| q.get("q").unwrap_or_default());
    let chosen = move || query.with(|q| q.get("new_owner").and_then(|s| Uuid::parse_str(&s).ok()));
    let expiry = move || query.with(|q| q.get("expiry").unwrap_or_else(|| "30_days".into()));
    let wants_preview = move || query.with(|q| q.get("preview").is_some());
    let options = Resource::new(
        move || (ids(), q()),
        |(ids, q)| async move {
            match ids {
                Some((a, u)) => get_removal_options(a, u, q).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let preview = Resource::new(
        move || (ids(), chosen(), expiry(), wants_preview(), q()),
        |(ids, owner, expiry, want, q)| async move {
            match (ids, want) {
                (Some((a, u)), true) => preview_removal(a, u, owner, expiry, q).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    // With JavaScript, changing a choice after a preview hides the confirmation until the
    // new choice is previewed: what is confirmed is always what was shown.
    let stale = RwSignal::new(false);
    Effect::new(move |_| {
        query.track();
        stale.set(false);
    });
    let remove = ServerAction::<RemoveMember>::new();
    let error = last_error(remove.value());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let o = match options.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(o) => o,
                };
                let (aid, uid) = ids().unwrap_or_default();
                let name = o.member.name.clone();
                let exp = expiry();
                let preview = preview.await;
                // The preview names who receives the work; the list shows that same person.
                let selected = match &preview {
                    Ok(Some(r)) => Some(r.new_owner_id),
                    _ => super::pick_owner(&o.candidates, chosen(), o.account_owner.user_id),
                };
                view! {
                    <p class="crumbs"><a href=format!("/accounts/{aid}/members")>{format!("Members of {}", o.account_name)}</a></p>
                    <section class="card" role="dialog" aria-labelledby="remove-title">
                        <h1 id="remove-title">{format!("Remove {name}")}</h1>
                        <p>{format!("{name} ({}) leaves the account at once. Their Zaps and app connections move to a new owner.", o.member.email)}</p>
                        <form method="get" class="remove-options" on:change=move |_| stale.set(true) on:input=move |_| stale.set(true)>
                            {if o.can_choose_owner {
                                view! {
                                    <div class="field">
                                        <label for="member-search">"Search members"</label>
                                        <input id="member-search" name="q" type="search" value=q() />
                                    </div>
                                    <div class="field">
                                        <label for="new-owner">"Transfer ownership to"</label>
                                        {if o.candidates.is_empty() {
                                            view! { <p class="field-error" role="alert">{format!("No member matches “{}”. Change the search and press Preview.", q())}</p> }.into_any()
                                        } else {
                                            view! {
                                                <select id="new-owner" name="new_owner">
                                                    {o.candidates.iter().map(|m| view! {
                                                        <option value=m.user_id.to_string() selected=Some(m.user_id) == selected>{format!("{} ({})", m.name, m.email)}</option>
                                                    }).collect_view()}
                                                </select>
                                            }.into_any()
                                        }}
                                        <p class="hint">"Defaults to the account owner. Type in the search box and press Preview to narrow the list; the preview uses the member the list shows."</p>
                                    </div>
                                }.into_any()
                            } else {
                                view! {
                                    <p class="notice" role="note">
                                        {format!("As an admin, you transfer everything to the account owner, {} ({}).", o.account_owner.name, o.account_owner.email)}
                                    </p>
                                }.into_any()
                            }}
                            <fieldset>
                                <legend>{format!("How long should {name}'s private app connections keep working?")}</legend>
                                <label><input type="radio" name="expiry" value="30_days" checked=exp == "30_days" />" 30 days"</label>
                                <label><input type="radio" name="expiry" value="until_expiry" checked=exp == "until_expiry" />" Until the connections expire"</label>
                            </fieldset>
                            <input type="hidden" name="preview" value="1" />
                            <button type="submit">"Preview"</button>
                        </form>
                        {match preview {
                            Err(e) => view! { <LoadError error=e /> }.into_any(),
                            Ok(None) => view! { <p class="hint">"Preview to see exactly what moves before you confirm."</p> }.into_any(),
                            Ok(Some(r)) => view! {
                                <Preview r=r.clone() />
                                <p class="notice live" role="status">{move || stale.get().then_some("You changed a choice: press Preview to see what it does before removing.")}</p>
                                <div hidden=move || stale.get()>
                                <ActionForm action=remove>
                                    <FormError error=error />
                                    <input type="hidden" name="account_id" value=aid.to_string() />
                                    <input type="hidden" name="user_id" value=uid.to_string() />
                                    {o.can_choose_owner.then(|| view! { <input type="hidden" name="new_owner" value=r.new_owner_id.to_string() /> })}
                                    <input type="hidden" name="expiry" value=exp.clone() />
                                    <div class="field">
                                        <label for="remove-reason">"Reason (optional, kept in the account's history)"</label>
                                        <textarea id="remove-reason" name="reason" maxlength="500" rows="2"></textarea>
                                    </div>
                                    <button type="submit" class="danger" disabled=move || remove.pending().get()>
                                        {move || if remove.pending().get() { "Removing…".to_string() } else { format!("Remove {} and give their work to {}", o.member.name, r.new_owner_name) }}
                                    </button>
                                    " " <a href=format!("/accounts/{aid}/members")>"Cancel"</a>
                                </ActionForm>
                                </div>
                            }.into_any(),
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn UndoPreview(r: UndoReport) -> impl IntoView {
    view! {
        <section class="card preview" aria-labelledby="undo-preview-title">
            <h2 id="undo-preview-title">"What will happen"</h2>
            <ul>
                <li>{if r.membership_restored {
                    format!("{} becomes a member again, as {}.", r.removed_name, r.role.label().to_lowercase())
                } else {
                    format!("{} is a member already; their role stays as it is.", r.removed_name)
                }}</li>
                <li>{format!("{} go back to {} from {}: {} and {}.", plural(r.zaps, "Zap", "Zaps"), r.removed_name, r.new_owner_name,
                    plural(r.connections, "app connection", "app connections"), plural(r.folders, "folder", "folders"))}</li>
                <li>"Zaps with webhook triggers answer at their old webhook URLs again."</li>
                <li>{if r.left_alone_total == 0 {
                    "Nothing changed since the removal, so nothing stays behind.".to_string()
                } else {
                    format!("{} stay with {}:", plural(r.left_alone_total, "item", "items"), r.new_owner_name)
                }}</li>
            </ul>
            {(!r.left_alone.is_empty()).then(|| view! {
                <table class="left-alone">
                    <caption>"Left with the new owner"</caption>
                    <thead><tr><th scope="col">"Kind"</th><th scope="col">"Name"</th><th scope="col">"Why"</th></tr></thead>
                    <tbody>{r.left_alone.iter().map(|l| view! {
                        <tr><td>{l.kind.clone()}</td><td>{l.name.clone()}</td><td>{l.why.clone()}</td></tr>
                    }).collect_view()}</tbody>
                </table>
                {(r.left_alone_total > r.left_alone.len() as i64).then(|| view! {
                    <p class="hint">{format!("… and {} more.", r.left_alone_total - r.left_alone.len() as i64)}</p>
                })}
            })}
        </section>
    }
}

/// Undo a removal (HI-4): the preview first, then the confirmation, with an optional reason.
#[component]
pub fn UndoRemovalPage() -> impl IntoView {
    let params = use_params_map();
    let ids = move || {
        params.with(|p| {
            let a = p.get("id").and_then(|s| Uuid::parse_str(&s).ok());
            let t = p.get("tid").and_then(|s| Uuid::parse_str(&s).ok());
            a.zip(t)
        })
    };
    let preview = Resource::new(ids, |ids| async move {
        match ids {
            Some((a, t)) => preview_undo(a, t).await,
            None => Err(AppError::NotFound),
        }
    });
    let undo = ServerAction::<UndoRemoval>::new();
    let error = last_error(undo.value());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let (aid, tid) = ids().unwrap_or_default();
                let r = match preview.await {
                    Err(e) => return view! {
                        <p class="crumbs"><a href=format!("/accounts/{aid}/history")>"History"</a></p>
                        <LoadError error=e />
                    }.into_any(),
                    Ok(r) => r,
                };
                let name = r.removed_name.clone();
                view! {
                    <p class="crumbs"><a href=format!("/accounts/{aid}/history")>{format!("{} history", r.account_name)}</a></p>
                    <section class="card" role="dialog" aria-labelledby="undo-title">
                        <h1 id="undo-title">{format!("Undo the removal of {name}")}</h1>
                        <p>{format!("{name} ({}) was removed on {}. This can be undone until {}, once.",
                            r.removed_email, r.removed_at.format("%Y-%m-%d %H:%M"), r.undo_until.format("%Y-%m-%d %H:%M"))}</p>
                        <UndoPreview r=r />
                        <ActionForm action=undo>
                            <FormError error=error />
                            <input type="hidden" name="account_id" value=aid.to_string() />
                            <input type="hidden" name="transfer_id" value=tid.to_string() />
                            <div class="field">
                                <label for="undo-reason">"Reason (optional, kept in the account's history)"</label>
                                <textarea id="undo-reason" name="reason" maxlength="500" rows="2"></textarea>
                            </div>
                            <button type="submit" disabled=move || undo.pending().get()>
                                {move || if undo.pending().get() { "Undoing…".to_string() } else { format!("Undo the removal of {name}") }}
                            </button>
                            " " <a href=format!("/accounts/{aid}/history")>"Cancel"</a>
                        </ActionForm>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
