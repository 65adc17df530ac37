//! The desktop app end to end, in its real webview under Xvfb: one test binary (linked once)
//! with a module per area. Run one area with `cargo test -p roadbook-e2e --test e2e trust::`.

mod baseline;
mod desktop;
mod layout;
mod links;
mod portfolio;
mod reminders;
mod settings;
mod signin;
mod team;
mod trust;
