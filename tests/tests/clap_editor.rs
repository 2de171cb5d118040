//! The editors opened and closed many times while audio plays, through the CLAP GUI extension
//! (embedded in an X11 window of a private Xvfb), in the debug bundles built with
//! `assert_process_allocs`: no allocation in `process()` whether the editor is open or not, the
//! output stays finite, no thread-check violation, and no thread is left behind.
//!
//! Needs `Xvfb` (`apt-get install xvfb`); without it the test fails if `CI` or
//! `TANDEM_REQUIRE_HOSTS` is set, and otherwise says why it did not run.

use std::time::Duration;
use tests::checks::{assert_no_thread_violations, check_output, OUTPUT_BOUND};
use tests::clap_host::{each_plugin, TestPlugin};
use tests::xvfb::{require_or_skip, which, Xvfb};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, CreateWindowAux, WindowClass};

const SR: f64 = 48_000.0;
const BLOCK: usize = 512;
const OPENINGS: usize = 12;

fn play(plugin: &mut TestPlugin, music: &[Vec<f32>], pos: &mut usize, blocks: usize, what: &str) {
    for _ in 0..blocks {
        if *pos + BLOCK > music[0].len() {
            *pos = 0;
        }
        let chunk: Vec<Vec<f32>> = music
            .iter()
            .map(|c| c[*pos..*pos + BLOCK].to_vec())
            .collect();
        let out = plugin.process_main(&chunk, &[]).unwrap();
        check_output(&out, OUTPUT_BOUND).unwrap_or_else(|e| panic!("{what}: {e}"));
        *pos += BLOCK;
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn editors_open_and_close_many_times_while_audio_plays() {
    if !which("Xvfb") {
        require_or_skip("Xvfb is not installed", "the CLAP editor test");
        return;
    }
    let x = Xvfb::start((1600, 1000));
    // The editors connect to the display named in the environment.
    std::env::set_var("DISPLAY", &x.display);
    let (conn, screen_num) = x11rb::connect(Some(&x.display)).expect("connect to Xvfb");
    let screen = &conn.setup().roots[screen_num];
    let parent = conn.generate_id().unwrap();
    conn.create_window(
        x11rb::COPY_DEPTH_FROM_PARENT,
        parent,
        screen.root,
        0,
        0,
        1500,
        950,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::new().background_pixel(screen.black_pixel),
    )
    .unwrap();
    conn.map_window(parent).unwrap();
    conn.flush().unwrap();
    let threads_before = thread_count();

    let [l, r] = dsp_core::testsignals::demo_mix(4.0, SR);
    let music = vec![l, r];
    for put in each_plugin() {
        let mut plugin = put.instantiate();
        plugin.activate(SR, BLOCK as u32).unwrap();
        let mut pos = 0;
        play(&mut plugin, &music, &mut pos, 50, put.name);
        for i in 0..OPENINGS {
            let what = format!("{}, opening {i}", put.name);
            // SAFETY: `parent` lives until the end of the test, after every gui_close.
            let (w, h) = unsafe { plugin.gui_open_x11(parent as u64) }
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(w >= 400 && h >= 300, "{what}: editor size {w}x{h}");
            // Audio while the editor draws its meters, spectrum and suggestion panel.
            play(&mut plugin, &music, &mut pos, 25, &what);
            plugin.gui_close();
            play(&mut plugin, &music, &mut pos, 5, &what);
        }
        plugin.deactivate();
        assert_no_thread_violations(&plugin, put.name);
    }
    // An editor's window thread closes its own X connection a moment after `gui_close`
    // returns; the X server must outlive it (Xlib ends the whole process when its server goes
    // away under it, which once failed this test after every assertion had passed).
    let t0 = std::time::Instant::now();
    while thread_count() > threads_before && t0.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        thread_count() <= threads_before,
        "editor threads still running 10 s after the last gui_close: {} > {threads_before}",
        thread_count()
    );
}

/// Threads of this process.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}
