//! Pages of the development mail viewer.
use super::api::*;
use crate::components::{LoadError, Loading};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn MailListPage() -> impl IntoView {
    let q = use_query_map();
    let to = move || q.with(|q| q.get("to").unwrap_or_default());
    let mails = Resource::new(to, list_mail);
    view! {
        <section aria-labelledby="mail-title">
            <h1 id="mail-title">"Mail viewer"</h1>
            <p class="hint">"No SMTP server is configured, so mail stays here. Newest first."</p>
            <form method="get" action="/dev/mail" class="inline-form">
                <label for="mail-to">"Recipient"</label>
                <input id="mail-to" name="to" type="email" value=to />
                <button type="submit">"Filter"</button>
            </form>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match mails.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No mail yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="mail">
                                <thead><tr><th scope="col">"To"</th><th scope="col">"Subject"</th><th scope="col">"Queued"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|m| view! {
                                        <tr>
                                            <td>{m.to}</td>
                                            <td><a href=format!("/dev/mail/{}", m.id)>{m.subject}</a></td>
                                            <td>{m.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn MailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()));
    let mail = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_mail(id).await,
            None => Err(crate::error::AppError::NotFound),
        }
    });
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match mail.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(m) => {
                        let links = super::links(&m.body);
                        view! {
                            <article class="mail-message" aria-labelledby="mail-subject">
                                <p class="crumbs"><a href="/dev/mail">"Mail viewer"</a></p>
                                <h1 id="mail-subject">{m.subject}</h1>
                                <p>"To: " <span class="mail-to">{m.to}</span></p>
                                <pre class="mail-body">{m.body}</pre>
                                {(!links.is_empty()).then(|| view! {
                                    <h2>"Links in this message"</h2>
                                    <ul class="mail-links">
                                        {links.into_iter().map(|l| view! { <li><a href=l.clone()>{l.clone()}</a></li> }).collect_view()}
                                    </ul>
                                })}
                            </article>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
