//! How WebKit draws the window: composited on the GPU, or painted by the CPU.
//!
//! On a machine without a GPU (a virtual or remote desktop, CI's Xvfb) Mesa's software GL stands
//! in for one, and WebKit's GPU compositing through it halves the frame rate of a scrolled
//! register (36 ms frames against 16 ms with the CPU renderer, docs/performance.md). So Roadbook
//! paints on the CPU where the machine has no GPU render node, and composites on the GPU where it
//! has one; `ROADBOOK_RENDERING=gpu|cpu` overrides the choice.
//!
//! The CPU renderer is chosen through WebKit's and GDK's environment variables, which they read
//! once while starting: nothing else reaches the GL probing GDK does when it opens the display or
//! the render-node probing WebKit does when it creates its context, both before Roadbook's code
//! can touch a window. The process therefore restarts itself once with them set (`exec`, same
//! pid), rather than change its own environment while GTK's threads may read it.
//!
//! Those probes are also what loads Mesa's software GL, and with it LLVM (43 MB resident), into
//! the app process of a machine without a GPU; with the CPU renderer nothing in that process
//! draws with GL, so they are skipped (docs/performance.md, "Desktop app").

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Where the kernel lists DRM devices; a GPU that can render has a `renderD*` node here.
pub const DRI_DIR: &str = "/dev/dri";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    Gpu,
    Cpu,
}

impl Rendering {
    /// `ROADBOOK_RENDERING` when set, else by the machine: CPU when it has no GPU render node.
    pub fn choose(setting: Option<&str>, render_node: Option<&Path>) -> Result<Rendering, String> {
        match setting.map(str::trim) {
            None | Some("") => Ok(if render_node.is_some() {
                Rendering::Gpu
            } else {
                Rendering::Cpu
            }),
            Some(value) if value.eq_ignore_ascii_case("gpu") => Ok(Rendering::Gpu),
            Some(value) if value.eq_ignore_ascii_case("cpu") => Ok(Rendering::Cpu),
            Some(value) => Err(format!(
                "ROADBOOK_RENDERING is {value:?}; set it to gpu or cpu, or unset it to let \
                 Roadbook choose by the machine"
            )),
        }
    }

    /// The variables this rendering needs that `current` does not already set. A variable the
    /// person set themselves, to any value, is left as it is.
    pub fn missing_environment(
        self,
        render_node: Option<&Path>,
        current: impl Fn(&str) -> Option<OsString>,
    ) -> Vec<(&'static str, OsString)> {
        let wanted = match self {
            Rendering::Gpu => vec![],
            Rendering::Cpu => vec![
                // WebKit paints pages on the CPU and never composites with GL.
                ("WEBKIT_DISABLE_COMPOSITING_MODE", OsString::from("1")),
                // Frames reach the window through shared memory, not DMA-BUF.
                ("WEBKIT_DISABLE_DMABUF_RENDERER", OsString::from("1")),
                // GTK draws no GL of its own in this window; it then skips choosing GL visuals.
                ("GDK_GL", OsString::from("disable")),
                // The render node WebKit would otherwise ask EGL for. Without a GPU there is
                // none: WebKit then finds no DRM device of that name, which is where its EGL
                // probe would have ended too, without loading the GL driver to get there.
                (
                    "WEBKIT_WEB_RENDER_DEVICE_FILE",
                    render_node.map_or_else(|| OsString::from("/dev/null"), |node| node.into()),
                ),
            ],
        };
        wanted
            .into_iter()
            .filter(|(name, _)| current(name).is_none())
            .collect()
    }
}

/// The machine's first GPU render node (`/dev/dri/renderD128`...) that this user can open, if
/// any: a node the person has no access to (not in the `render` group, say) gives WebKit no GPU
/// either, and then Mesa's software GL would stand in.
pub fn render_node(dri_dir: &Path) -> Option<PathBuf> {
    let mut nodes: Vec<PathBuf> = std::fs::read_dir(dri_dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
        .map(|entry| entry.path())
        .collect();
    nodes.sort();
    nodes.into_iter().find(|node| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(node)
            .is_ok()
    })
}

/// Chooses the rendering and, when its variables are missing, restarts the process with them.
/// Returns only when the environment is as the rendering needs it, or when the restart failed:
/// then the app runs on with WebKit's defaults, which draw correctly, only slower.
pub fn prepare() -> Result<(), String> {
    let setting = std::env::var("ROADBOOK_RENDERING").ok();
    let node = render_node(Path::new(DRI_DIR));
    let rendering = Rendering::choose(setting.as_deref(), node.as_deref())?;
    let missing = rendering.missing_environment(node.as_deref(), |name| std::env::var_os(name));
    if missing.is_empty() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let mut args = std::env::args_os();
        let arg0 = args.next().unwrap_or_default();
        match std::env::current_exe() {
            Ok(exe) => {
                // exec returns only on failure.
                let err = std::process::Command::new(exe)
                    .arg0(arg0)
                    .args(args)
                    .envs(missing)
                    .exec();
                eprintln!(
                    "roadbook-desktop: could not restart for CPU rendering ({err}); \
                     drawing with WebKit's defaults"
                );
            }
            Err(err) => eprintln!(
                "roadbook-desktop: could not find this program to restart it for CPU \
                 rendering ({err}); drawing with WebKit's defaults"
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_first_render_node_is_found_and_other_devices_are_not_one() {
        let dri = tempfile::tempdir().unwrap();
        assert_eq!(render_node(dri.path()), None);
        std::fs::write(dri.path().join("card0"), "").unwrap();
        assert_eq!(render_node(dri.path()), None);
        std::fs::write(dri.path().join("renderD129"), "").unwrap();
        std::fs::write(dri.path().join("renderD128"), "").unwrap();
        assert_eq!(render_node(dri.path()), Some(dri.path().join("renderD128")));
        assert_eq!(render_node(&dri.path().join("absent")), None);
    }

    #[test]
    fn a_render_node_that_cannot_be_opened_is_no_gpu() {
        let dri = tempfile::tempdir().unwrap();
        // A directory cannot be opened for writing, even by root (who passes permission checks).
        std::fs::create_dir(dri.path().join("renderD128")).unwrap();
        assert_eq!(render_node(dri.path()), None);
        std::fs::write(dri.path().join("renderD129"), "").unwrap();
        assert_eq!(render_node(dri.path()), Some(dri.path().join("renderD129")));
    }

    #[test]
    fn a_machine_without_a_render_node_paints_on_the_cpu() {
        let node = PathBuf::from("/dev/dri/renderD128");
        assert_eq!(Rendering::choose(None, None), Ok(Rendering::Cpu));
        assert_eq!(Rendering::choose(None, Some(&node)), Ok(Rendering::Gpu));
    }

    #[test]
    fn the_setting_overrides_the_machine() {
        let node = PathBuf::from("/dev/dri/renderD128");
        assert_eq!(
            Rendering::choose(Some("cpu"), Some(&node)),
            Ok(Rendering::Cpu)
        );
        assert_eq!(Rendering::choose(Some(" GPU "), None), Ok(Rendering::Gpu));
        assert_eq!(Rendering::choose(Some(""), Some(&node)), Ok(Rendering::Gpu));
    }

    #[test]
    fn an_unknown_setting_says_what_to_set() {
        let err = Rendering::choose(Some("fast"), None).unwrap_err();
        assert_eq!(
            err,
            "ROADBOOK_RENDERING is \"fast\"; set it to gpu or cpu, or unset it to let Roadbook \
             choose by the machine"
        );
    }

    #[test]
    fn cpu_rendering_sets_only_what_is_missing_and_gpu_sets_nothing() {
        let none = |_: &str| None;
        let missing = Rendering::Cpu.missing_environment(None, none);
        let names: Vec<_> = missing.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            [
                "WEBKIT_DISABLE_COMPOSITING_MODE",
                "WEBKIT_DISABLE_DMABUF_RENDERER",
                "GDK_GL",
                "WEBKIT_WEB_RENDER_DEVICE_FILE"
            ]
        );
        assert_eq!(missing[3].1, "/dev/null");
        // Forced on a machine with a GPU, WebKit is told the real node.
        let node = PathBuf::from("/dev/dri/renderD128");
        let with_gpu = Rendering::Cpu.missing_environment(Some(&node), none);
        assert_eq!(with_gpu[3].1, "/dev/dri/renderD128");

        let person_chose_gl = |name: &str| (name == "GDK_GL").then(|| OsString::from("gles"));
        let kept: Vec<_> = Rendering::Cpu
            .missing_environment(None, person_chose_gl)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert!(!kept.contains(&"GDK_GL") && kept.len() == 3, "{kept:?}");
        // After the restart everything is set: no second restart.
        let all_set = |_: &str| Some(OsString::from("1"));
        assert!(Rendering::Cpu.missing_environment(None, all_set).is_empty());
        assert!(Rendering::Gpu.missing_environment(None, none).is_empty());
    }
}
