//! The short pages the functions answer with: a message, or one button that
//! posts (what every link in a mail opens).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;
use crate::state::AppState;

/// A page of the theme's `template`, with `status`.
pub fn themed(
    state: &AppState,
    template: &str,
    context: &impl serde::Serialize,
    status: StatusCode,
) -> Result<Response, AppError> {
    let html = state
        .site()
        .render_page(template, context)
        .map_err(AppError::internal)?;
    Ok((status, Html(html)).into_response())
}

/// A title, some paragraphs and an optional link onwards.
pub fn message(
    state: &AppState,
    title: &str,
    url: &str,
    paragraphs: &[&str],
    link: Option<(&str, &str)>,
) -> Result<Response, AppError> {
    let context = generator::forms::message_context(title, url, paragraphs, link);
    themed(state, "message.html", &context, StatusCode::OK)
}

/// What a link in a mail opens: the same URL, whose POST acts.
pub struct Button<'a> {
    pub title: &'a str,
    pub paragraphs: &'a [&'a str],
    /// Where the button posts (the link itself, token included).
    pub action: &'a str,
    pub label: &'a str,
    pub link: Option<(&'a str, &'a str)>,
}

pub fn button(state: &AppState, page: &Button) -> Result<Response, AppError> {
    let path = page.action.split('?').next().unwrap_or(page.action);
    let context = generator::forms::action_context(
        page.title,
        path,
        page.paragraphs,
        page.action,
        page.label,
        page.link,
    );
    themed(state, "action.html", &context, StatusCode::OK)
}
