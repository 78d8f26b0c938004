//! The operator's screen of event deliveries (PL-3): what was sent where, what failed and
//! why, and a button to send one again.
use super::api::{deliveries, Resend};
use crate::components::{last_error, FormError, LoadError, Loading, Notice};
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn OperatorEventsPage() -> impl IntoView {
    let resend = ServerAction::<Resend>::new();
    let error = last_error(resend.value());
    let list = Resource::new(move || resend.version().get(), |_| deliveries());
    view! {
        <h1>"Event deliveries"</h1>
        <p class="hint">"The latest 100 deliveries of events to the platform's webhook endpoints. Each carries its event's id (Gatehouse-Event-Id) and a signature (Gatehouse-Signature); a resend carries the same id, so the receiver can drop a repeat."</p>
        <Notice key="resent" text="The delivery is queued: it goes out within a second." />
        <FormError error=error />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let rows = match list.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(r) => r,
                };
                if rows.is_empty() {
                    return view! { <p class="empty">"No events yet. They appear here once the platform has registered an endpoint and something it must hear about happens (access ended, a member removed, a webhook URL or an instance share changed)."</p> }.into_any();
                }
                view! {
                    <table class="deliveries">
                        <caption class="visually-hidden">"Event deliveries, newest first"</caption>
                        <thead><tr><th scope="col">"Event"</th><th scope="col">"Endpoint"</th><th scope="col">"Made"</th><th scope="col">"State"</th><th scope="col">"Attempts"</th><th scope="col">"Last answer"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|d| {
                                let label = format!("Resend {} to {}", d.kind, d.url);
                                let last = match (d.last_status, d.last_error.clone()) {
                                    (_, Some(e)) => e,
                                    (Some(s), None) => s.to_string(),
                                    (None, None) => "—".into(),
                                };
                                let state = match (d.state.as_str(), d.next_attempt_at) {
                                    ("pending", Some(at)) if d.attempts > 0 => format!("retrying at {}", at.format("%H:%M:%S UTC")),
                                    (s, _) => s.to_string(),
                                };
                                view! {
                                    <tr class=format!("delivery {}", d.state)>
                                        <td><code>{d.kind.clone()}</code><br /><small>{d.event_id.to_string()}</small></td>
                                        <td><code>{d.url.clone()}</code></td>
                                        <td>{d.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</td>
                                        <td>{state}</td>
                                        <td>{d.attempts}</td>
                                        <td>{last}</td>
                                        <td>
                                            <ActionForm action=resend attr:class="inline-form">
                                                <input type="hidden" name="event_id" value=d.event_id.to_string() />
                                                <input type="hidden" name="endpoint_id" value=d.endpoint_id.to_string() />
                                                <button type="submit" aria-label=label>"Resend"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
    }
}
