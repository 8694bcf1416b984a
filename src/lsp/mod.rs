//! `txlint lsp`: a language server over standard input and output.
//!
//! Open documents are kept in memory; after each change (once the messages already queued are
//! handled, so a burst of keystrokes is linted once) the project is linted as the CLI does, with
//! the open documents' text in place of the files on disk, and the diagnostics of every open
//! document whose findings changed are published (a change in `db.js` updates its importers).
//! The project's facts stay in memory between lints (`state`): only changed files are parsed
//! again. A save or a watched-file event makes the server discover the project's files and read
//! the configuration (`.txlintrc.json`) again. Code actions apply a finding's edits or add a
//! suppression comment; hover shows the rule's documentation.

mod actions;
pub mod convert;
mod state;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{CodeActionRequest, HoverRequest, RegisterCapability, Request as _};
use lsp_types::{
    CodeActionProviderCapability, DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern,
    HoverProviderCapability, InitializeParams, MessageType, PublishDiagnosticsParams, Registration, RegistrationParams,
    SaveOptions, ServerCapabilities, ShowMessageParams, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions,
};

use crate::cli::ExitStatus;
use crate::error::Error;
use state::State;

fn protocol_error(e: impl std::fmt::Display) -> Error {
    Error::Usage {
        message: format!("language server: {e}"),
        help: "`txlint lsp` is started by an editor, which speaks the Language Server Protocol on its standard input and output".to_string(),
    }
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::FULL),
            save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                include_text: Some(false),
            })),
            ..TextDocumentSyncOptions::default()
        })),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

/// Runs the server until the editor says `exit`: after `shutdown` the exit status is clean,
/// without it it is not (as the protocol asks).
pub fn run() -> Result<ExitStatus, Error> {
    let (connection, io_threads) = Connection::stdio();
    let (id, params) = connection.initialize_start().map_err(protocol_error)?;
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "txlint", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result).map_err(protocol_error)?;
    let params: InitializeParams = serde_json::from_value(params).map_err(protocol_error)?;
    let status = serve(&connection, &params)?;
    drop(connection);
    io_threads.join().map_err(protocol_error)?;
    Ok(status)
}

/// The workspace folder the editor opened: the first of `workspaceFolders`, else `rootUri`.
#[allow(deprecated)]
fn root_of(params: &InitializeParams) -> Option<std::path::PathBuf> {
    let uri = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| &f.uri)
        .or(params.root_uri.as_ref())?;
    convert::uri_to_path(uri)
}

fn serve(connection: &Connection, params: &InitializeParams) -> Result<ExitStatus, Error> {
    let mut state = State::new(root_of(params))?;
    let dynamic_watch = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|w| w.dynamic_registration)
        .unwrap_or(false);
    if dynamic_watch {
        watch_files(connection);
    }
    loop {
        // Lint once the queued messages are handled; a request is answered on fresh findings.
        let idle = connection.receiver.is_empty();
        if state.dirty && idle {
            lint(connection, &mut state);
        }
        let Ok(msg) = connection.receiver.recv() else {
            return Ok(ExitStatus::Findings);
        };
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req).map_err(protocol_error)? {
                    return Ok(ExitStatus::Clean);
                }
                if state.dirty {
                    lint(connection, &mut state);
                }
                let resp = handle_request(&state, req);
                send(connection, resp.into());
            }
            Message::Notification(n) if n.method == "exit" => return Ok(ExitStatus::Findings),
            Message::Notification(n) => handle_notification(connection, &mut state, n),
            // Answers to our own requests (the watcher registration): nothing to do.
            Message::Response(_) => {}
        }
    }
}

fn send(connection: &Connection, msg: Message) {
    // The editor went away: the loop ends when the receiver closes.
    let _ = connection.sender.send(msg);
}

/// Asks the editor to report changes to the configuration and the source files on disk.
fn watch_files(connection: &Connection) {
    let watchers = ["**/.txlintrc.json", "**/*.{js,mjs,cjs,jsx,ts,mts,cts,tsx,sql,prisma}"]
        .into_iter()
        .map(|g| FileSystemWatcher {
            glob_pattern: GlobPattern::String(g.to_string()),
            kind: None,
        })
        .collect();
    let options = DidChangeWatchedFilesRegistrationOptions { watchers };
    let params = RegistrationParams {
        registrations: vec![Registration {
            id: "txlint-watch".to_string(),
            method: DidChangeWatchedFiles::METHOD.to_string(),
            register_options: serde_json::to_value(options).ok(),
        }],
    };
    let req = Request::new(
        RequestId::from("txlint-watch".to_string()),
        RegisterCapability::METHOD.to_string(),
        params,
    );
    send(connection, req.into());
}

fn lint(connection: &Connection, state: &mut State) {
    match state.lint() {
        Ok(publish) => {
            for p in publish {
                let params = PublishDiagnosticsParams::new(p.uri, p.diagnostics, Some(p.version));
                send(
                    connection,
                    Notification::new(PublishDiagnostics::METHOD.to_string(), params).into(),
                );
            }
        }
        Err(e) => {
            let message = format!("txlint: {e}");
            let params = ShowMessageParams {
                typ: MessageType::ERROR,
                message,
            };
            send(
                connection,
                Notification::new(ShowMessage::METHOD.to_string(), params).into(),
            );
        }
    }
}

fn handle_request(state: &State, req: Request) -> Response {
    let id = req.id.clone();
    match req.method.as_str() {
        CodeActionRequest::METHOD => match serde_json::from_value::<lsp_types::CodeActionParams>(req.params) {
            Ok(p) => {
                let actions = convert::uri_to_path(&p.text_document.uri)
                    .and_then(|path| state.docs.get(&path))
                    .map(|doc| actions::code_actions(doc, p.range))
                    .unwrap_or_default();
                Response::new_ok(id, actions)
            }
            Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
        },
        HoverRequest::METHOD => match serde_json::from_value::<lsp_types::HoverParams>(req.params) {
            Ok(p) => {
                let at = p.text_document_position_params;
                let hover = convert::uri_to_path(&at.text_document.uri)
                    .and_then(|path| state.docs.get(&path))
                    .and_then(|doc| actions::hover(doc, at.position));
                Response::new_ok(id, hover)
            }
            Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
        },
        other => Response::new_err(
            id,
            ErrorCode::MethodNotFound as i32,
            format!("txlint does not answer {other}"),
        ),
    }
}

fn handle_notification(connection: &Connection, state: &mut State, n: Notification) {
    match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let Ok(p) = n.extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD) else {
                return;
            };
            let doc = p.text_document;
            if let Some(path) = convert::uri_to_path(&doc.uri) {
                state.open(doc.uri, path, doc.version, doc.text);
            }
        }
        DidChangeTextDocument::METHOD => {
            let Ok(p) = n.extract::<lsp_types::DidChangeTextDocumentParams>(DidChangeTextDocument::METHOD) else {
                return;
            };
            let Some(path) = convert::uri_to_path(&p.text_document.uri) else {
                return;
            };
            let Some(mut text) = state.docs.get(&path).map(|d| d.file.text.clone()) else {
                return;
            };
            for change in p.content_changes {
                match change.range {
                    // Full sync is advertised; a client that sends ranges anyway is followed.
                    Some(r) => {
                        let file = crate::source::SourceFile::new(path.clone(), text);
                        let (start, end) = (convert::offset(&file, r.start), convert::offset(&file, r.end));
                        text = file.text;
                        text.replace_range(start as usize..end.max(start) as usize, &change.text);
                    }
                    None => text = change.text,
                }
            }
            state.change(&path, p.text_document.version, text);
        }
        DidCloseTextDocument::METHOD => {
            let Ok(p) = n.extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD) else {
                return;
            };
            if let Some(uri) = convert::uri_to_path(&p.text_document.uri).and_then(|path| state.close(&path)) {
                let params = PublishDiagnosticsParams::new(uri, Vec::new(), None);
                send(
                    connection,
                    Notification::new(PublishDiagnostics::METHOD.to_string(), params).into(),
                );
            }
        }
        // The disk changed (a saved file, the configuration, files created or deleted): the
        // project is linted again, with the configuration read afresh.
        DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => state.disk_changed(),
        _ => {}
    }
}
