//! Printing a document: the system's print dialog, then the PDF itself goes to the printer the
//! person chose, the same bytes the saved file has (printing the webview would print the window
//! around the preview). On Linux the dialog is GTK's, which lists the CUPS printers and "Print
//! to File"; the job hands the file to the printer's backend as it is.
//!
//! gtk-rs 0.18 (the GTK 3 bindings Tauri uses) has no bindings for GTK's Unix printing
//! (`gtkunixprint.h`: the dialog, the printer and the job), so the few calls it needs are
//! declared here; their library is already linked by gtk-sys.
//!
//! With `ROADBOOK_PRINTER` set (kiosk setups and the end-to-end test) the document goes to the
//! printer of that name without the dialog; to "Print to File", into the documents folder.

use std::path::{Path, PathBuf};

use tauri::AppHandle;

use crate::{CommandError, CommandResult, ErrorCode};

/// The printer to use without asking, by the name the print dialog shows.
pub const PRINTER_ENV: &str = "ROADBOOK_PRINTER";

/// What to print and how to name it.
pub struct Printout {
    /// The job's title, as the printer queue shows it ("Leadership Readout 2026-12-04").
    pub title: String,
    /// The file name a printer that writes files gives it (`readout-2026-12-04.pdf`).
    pub file_name: String,
}

/// Prints `pdf`: asks where in the system's dialog (or uses `ROADBOOK_PRINTER`), sends it, and
/// waits until the printer's backend took it. False when the person cancels.
pub async fn print(
    app: &AppHandle,
    printout: Printout,
    pdf: &[u8],
    documents_dir: Option<PathBuf>,
) -> CommandResult<bool> {
    let spool = spool_file(app, &printout.file_name, pdf)?;
    let result = send(app, printout, &spool, documents_dir).await;
    // The backend has read it (or never will): the copy is no longer needed.
    let _ = std::fs::remove_file(&spool);
    result
}

/// The PDF in a file of the app's own for the printer's backend to read; the webview never
/// names this place.
fn spool_file(app: &AppHandle, name: &str, pdf: &[u8]) -> CommandResult<PathBuf> {
    use tauri::Manager;
    let dir = app
        .path()
        .app_cache_dir()
        .map_err(|e| {
            CommandError::new(
                ErrorCode::Io,
                format!("no place to prepare the printout: {e}"),
            )
        })?
        .join("printing");
    std::fs::create_dir_all(&dir).map_err(|e| {
        CommandError::new(
            ErrorCode::Io,
            format!("cannot prepare the printout in {}: {e}", dir.display()),
        )
    })?;
    let path = dir.join(format!("{}-{name}", roadbook_model::Id::new()));
    roadbook_store::write_atomically(&path, pdf).map_err(|e| {
        CommandError::new(ErrorCode::Io, format!("cannot prepare the printout: {e}"))
    })?;
    Ok(path)
}

#[cfg(not(target_os = "linux"))]
async fn send(
    _app: &AppHandle,
    _printout: Printout,
    _spool: &Path,
    _documents_dir: Option<PathBuf>,
) -> CommandResult<bool> {
    Err(CommandError::new(
        ErrorCode::Unsupported,
        "printing from Roadbook is not built for this system yet: save the PDF and print it from your PDF viewer",
    ))
}

#[cfg(target_os = "linux")]
async fn send(
    app: &AppHandle,
    printout: Printout,
    spool: &Path,
    documents_dir: Option<PathBuf>,
) -> CommandResult<bool> {
    use tauri::Manager;
    let (tx, rx) = std::sync::mpsc::channel::<Result<bool, String>>();
    let spool = spool.to_owned();
    let chosen = std::env::var(PRINTER_ENV)
        .ok()
        .filter(|p| !p.trim().is_empty());
    let window = app.get_webview_window("main");
    app.run_on_main_thread(move || {
        let parent = window.and_then(|w| w.gtk_window().ok());
        let job = unix::Job {
            title: printout.title,
            file_name: printout.file_name,
            spool,
            documents_dir,
        };
        unix::print(job, chosen.as_deref(), parent.as_ref(), tx);
    })
    .map_err(|e| {
        CommandError::new(
            ErrorCode::Internal,
            format!("the print dialog did not open: {e}"),
        )
    })?;
    let answer = tauri::async_runtime::spawn_blocking(move || rx.recv())
        .await
        .map_err(|e| CommandError::new(ErrorCode::Internal, format!("printing stopped: {e}")))?
        .map_err(|_| {
            CommandError::new(ErrorCode::Internal, "printing stopped without an answer")
        })?;
    answer.map_err(|message| CommandError::new(ErrorCode::Print, message))
}

// The one place unsafe code is allowed (see the workspace's lints): GTK's C functions.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod unix {
    use std::ffi::{CStr, CString, c_char, c_uint};
    use std::path::PathBuf;
    use std::sync::mpsc::Sender;

    use gtk::ffi::{GtkPageSetup, GtkPrintSettings, GtkWidget, GtkWindow};
    use gtk::glib::ffi::{GDestroyNotify, GError, gboolean, gpointer};
    use gtk::glib::translate::{FromGlibPtrFull, FromGlibPtrNone, ToGlibPtr};
    use gtk::prelude::*;

    #[repr(C)]
    pub struct GtkPrinter {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct GtkPrintJob {
        _private: [u8; 0],
    }

    type PrinterFunc = unsafe extern "C" fn(*mut GtkPrinter, gpointer) -> gboolean;
    type JobComplete = unsafe extern "C" fn(*mut GtkPrintJob, gpointer, *const GError);

    #[link(name = "gtk-3")]
    unsafe extern "C" {
        fn gtk_print_unix_dialog_new(
            title: *const c_char,
            parent: *mut GtkWindow,
        ) -> *mut GtkWidget;
        fn gtk_print_unix_dialog_get_selected_printer(dialog: *mut GtkWidget) -> *mut GtkPrinter;
        fn gtk_print_unix_dialog_get_settings(dialog: *mut GtkWidget) -> *mut GtkPrintSettings;
        fn gtk_print_unix_dialog_get_page_setup(dialog: *mut GtkWidget) -> *mut GtkPageSetup;
        fn gtk_print_unix_dialog_set_manual_capabilities(dialog: *mut GtkWidget, caps: c_uint);
        fn gtk_printer_get_name(printer: *mut GtkPrinter) -> *const c_char;
        fn gtk_printer_accepts_pdf(printer: *mut GtkPrinter) -> gboolean;
        fn gtk_enumerate_printers(
            func: PrinterFunc,
            data: gpointer,
            destroy: GDestroyNotify,
            wait: gboolean,
        );
        fn gtk_print_job_new(
            title: *const c_char,
            printer: *mut GtkPrinter,
            settings: *mut GtkPrintSettings,
            page_setup: *mut GtkPageSetup,
        ) -> *mut GtkPrintJob;
        fn gtk_print_job_set_source_file(
            job: *mut GtkPrintJob,
            filename: *const c_char,
            error: *mut *mut GError,
        ) -> gboolean;
        fn gtk_print_job_send(
            job: *mut GtkPrintJob,
            callback: JobComplete,
            user_data: gpointer,
            dnotify: GDestroyNotify,
        );
    }

    pub struct Job {
        pub title: String,
        pub file_name: String,
        pub spool: PathBuf,
        pub documents_dir: Option<PathBuf>,
    }

    /// The answer goes to `done`: Ok(true) once the printer's backend took the file, Ok(false)
    /// when the person cancelled, or what went wrong in the person's words. Runs on GTK's main
    /// thread (Tauri's `run_on_main_thread`), as every call below needs.
    pub fn print(
        job: Job,
        chosen: Option<&str>,
        parent: Option<&gtk::ApplicationWindow>,
        done: Sender<Result<bool, String>>,
    ) {
        if !gtk::is_initialized_main_thread() {
            let _ = done.send(Err("printing must start on the window's thread".to_owned()));
            return;
        }
        // SAFETY: on GTK's main thread (checked above); every pointer below comes from GTK.
        let picked = unsafe {
            match chosen {
                Some(name) => named(name, &job),
                None => ask(parent, &job.title),
            }
        };
        match picked {
            Ok(Some((printer, settings, page_setup))) => {
                // SAFETY: as above.
                unsafe { submit(&job, printer, &settings, &page_setup, done) }
            }
            Ok(None) => {
                let _ = done.send(Ok(false));
            }
            Err(message) => {
                let _ = done.send(Err(message));
            }
        }
    }

    /// A reference to a GObject this side holds (a printer, a print job): given up exactly once,
    /// when dropped, so no path forgets it or gives it up twice.
    struct Held<T>(std::ptr::NonNull<T>);

    impl<T> Held<T> {
        /// Takes over a reference; none for a null pointer.
        ///
        /// # Safety
        ///
        /// `object` must be null or a live GObject whose reference the caller owns and hands
        /// over here.
        unsafe fn take(object: *mut T) -> Option<Held<T>> {
            std::ptr::NonNull::new(object).map(Held)
        }

        fn as_ptr(&self) -> *mut T {
            self.0.as_ptr()
        }

        /// Gives the reference away, to code that gives it up itself (a callback).
        fn into_raw(self) -> *mut T {
            let object = self.0.as_ptr();
            std::mem::forget(self);
            object
        }
    }

    impl<T> Drop for Held<T> {
        fn drop(&mut self) {
            // SAFETY: `take` made this the owner of one reference, given up here once.
            unsafe { gtk::glib::gobject_ffi::g_object_unref(self.0.as_ptr().cast()) };
        }
    }

    type Picked = Option<(Held<GtkPrinter>, gtk::PrintSettings, gtk::PageSetup)>;

    /// The print dialog, over the window. None when the person cancels.
    ///
    /// # Safety
    ///
    /// Call on GTK's main thread, with GTK initialised.
    unsafe fn ask(parent: Option<&gtk::ApplicationWindow>, title: &str) -> Result<Picked, String> {
        let heading = CString::new(format!("Print {title}")).unwrap_or_default();
        let parent: *mut GtkWindow = parent.map_or(std::ptr::null_mut(), |w| {
            w.upcast_ref::<gtk::Window>().to_glib_none().0
        });
        // SAFETY: a new dialog, owned here and destroyed before returning.
        unsafe {
            let widget = gtk_print_unix_dialog_new(heading.as_ptr(), parent);
            // The document is a finished PDF: the backend lays out copies and page ranges.
            gtk_print_unix_dialog_set_manual_capabilities(widget, 0);
            let dialog: gtk::Dialog = gtk::Widget::from_glib_none(widget).unsafe_cast();
            let answer = dialog.run();
            let picked = if answer == gtk::ResponseType::Ok {
                let printer = gtk_print_unix_dialog_get_selected_printer(widget);
                if printer.is_null() {
                    Err("no printer was chosen: choose one in the print dialog".to_owned())
                } else {
                    // This side's own reference: the dialog's goes with it.
                    gtk::glib::gobject_ffi::g_object_ref(printer.cast());
                    let Some(printer) = Held::take(printer) else {
                        return Ok(None);
                    };
                    let settings = gtk::PrintSettings::from_glib_full(
                        gtk_print_unix_dialog_get_settings(widget),
                    );
                    let page_setup = gtk::PageSetup::from_glib_none(
                        gtk_print_unix_dialog_get_page_setup(widget),
                    );
                    Ok(Some((printer, settings, page_setup)))
                }
            } else {
                Ok(None)
            };
            dialog.close();
            // SAFETY: the dialog is a toplevel this side made; nothing else holds it.
            dialog.destroy();
            picked
        }
    }

    /// The printer called `name`, without asking; to "Print to File", the file goes into the
    /// documents folder under the document's name.
    ///
    /// # Safety
    ///
    /// Call on GTK's main thread, with GTK initialised.
    unsafe fn named(name: &str, job: &Job) -> Result<Picked, String> {
        struct Search {
            name: String,
            found: *mut GtkPrinter,
        }
        unsafe extern "C" fn each(printer: *mut GtkPrinter, data: gpointer) -> gboolean {
            // SAFETY: `data` is the `Search` below, alive for the enumeration, which waits.
            let search = unsafe { &mut *data.cast::<Search>() };
            // SAFETY: GTK passes a live printer with its name.
            let this = unsafe { CStr::from_ptr(gtk_printer_get_name(printer)) };
            if this.to_string_lossy() == search.name {
                // SAFETY: kept past the enumeration: this side's own reference.
                unsafe { gtk::glib::gobject_ffi::g_object_ref(printer.cast()) };
                search.found = printer;
                return gtk::glib::ffi::GTRUE;
            }
            gtk::glib::ffi::GFALSE
        }
        let mut search = Search {
            name: name.to_owned(),
            found: std::ptr::null_mut(),
        };
        // SAFETY: `wait` is true, so the enumeration is over when this returns and `search`
        // outlives it.
        unsafe {
            gtk_enumerate_printers(each, (&raw mut search).cast(), None, gtk::glib::ffi::GTRUE);
        }
        // SAFETY: `each` took this side's own reference to the printer it found.
        let Some(found) = (unsafe { Held::take(search.found) }) else {
            return Err(format!(
                "there is no printer named {name} (ROADBOOK_PRINTER): name one the print dialog lists, or unset it to choose in the dialog"
            ));
        };
        let settings = gtk::PrintSettings::new();
        if let Some(dir) = &job.documents_dir {
            let uri = gtk::glib::filename_to_uri(dir.join(&job.file_name), None)
                .map_err(|e| format!("the documents folder cannot take the printout: {e}"))?;
            settings.set("output-uri", Some(uri.as_str()));
        }
        Ok(Some((found, settings, gtk::PageSetup::new())))
    }

    /// Sends the file to `printer`; the answer goes to `done` once its backend took it.
    ///
    /// # Safety
    ///
    /// Call on GTK's main thread, with GTK initialised.
    unsafe fn submit(
        job: &Job,
        printer: Held<GtkPrinter>,
        settings: &gtk::PrintSettings,
        page_setup: &gtk::PageSetup,
        done: Sender<Result<bool, String>>,
    ) {
        unsafe extern "C" fn complete(job: *mut GtkPrintJob, data: gpointer, error: *const GError) {
            // SAFETY: `data` is the box `submit` gave away, handed back exactly once.
            let done = unsafe { Box::from_raw(data.cast::<Sender<Result<bool, String>>>()) };
            let answer = if error.is_null() {
                Ok(true)
            } else {
                // SAFETY: GTK's error, alive for this call.
                let message = unsafe { CStr::from_ptr((*error).message) };
                Err(format!(
                    "the printer did not take the document: {}",
                    message.to_string_lossy()
                ))
            };
            let _ = done.send(answer);
            // SAFETY: the job's reference `submit` gave away with it; the backend keeps its own.
            drop(unsafe { Held::take(job) });
        }
        let fail = |done: &Sender<Result<bool, String>>, message: String| {
            let _ = done.send(Err(message));
        };
        // SAFETY: every pointer is alive: the printer and the job by this side's references
        // (`Held`), the settings and page setup borrowed for the call.
        unsafe {
            if gtk_printer_accepts_pdf(printer.as_ptr()) == gtk::glib::ffi::GFALSE {
                return fail(
                    &done,
                    "that printer does not take PDF documents: choose another, or save the PDF and print it from a PDF viewer".to_owned(),
                );
            }
            let title = CString::new(job.title.as_str()).unwrap_or_default();
            let print_job = Held::take(gtk_print_job_new(
                title.as_ptr(),
                printer.as_ptr(),
                settings.to_glib_none().0,
                page_setup.to_glib_none().0,
            ));
            // The job holds the printer itself from here.
            drop(printer);
            let Some(print_job) = print_job else {
                return fail(&done, "the printer could not start a job".to_owned());
            };
            let file: gtk::glib::GString = job.spool.to_string_lossy().into();
            let mut error: *mut GError = std::ptr::null_mut();
            if gtk_print_job_set_source_file(print_job.as_ptr(), file.as_ptr(), &raw mut error)
                == gtk::glib::ffi::GFALSE
            {
                let message = gtk::glib::Error::from_glib_full(error).to_string();
                return fail(&done, format!("the printout could not be read: {message}"));
            }
            let data = Box::into_raw(Box::new(done));
            // `complete` gives the job's reference up.
            gtk_print_job_send(print_job.into_raw(), complete, data.cast(), None);
        }
    }
}
