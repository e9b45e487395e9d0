//! After construction, the streaming frontend never allocates: pushing blocks of any size, finishing and
//! resetting all run on preallocated buffers (what lets the engine's worker keep a tight real-time budget).
//!
//! A counting global allocator sees every allocation this test thread makes; it is its own test binary so no
//! other test's allocations interfere.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use earmark_core::frontend::{Compression, FrontendConfig, Padding, StreamingFrontend, WindowKind};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counter is a thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn push_finish_and_reset_do_not_allocate() {
    let configs = [
        FrontendConfig { compression: Compression::Log10Offset { delta: 1.0 }, ..FrontendConfig::default() },
        FrontendConfig {
            sample_rate: 44_100,
            hop_length: 1024,
            window: WindowKind::BlackmanHarris,
            padding: Padding::Reflect,
            n_mels: 40,
            compression: Compression::Log1p { c: 10_000.0 },
            ..FrontendConfig::default()
        },
        FrontendConfig {
            padding: Padding::None,
            compression: Compression::PowerToDb { ref_value: 1.0, amin: 1e-10, top_db: Some(80.0) },
            ..FrontendConfig::default()
        },
    ];
    let signal: Vec<f32> = (0..50_000).map(|n| (n as f32 * 0.031).sin() * 0.5).collect();
    for config in configs {
        let mut stream = StreamingFrontend::new(&config).unwrap();
        let mut frames = 0usize;
        let mut checksum = 0.0f32;
        let before = allocations();
        for block in [1usize, 7, 64, 512, 4096] {
            for chunk in signal.chunks(block) {
                stream.push(chunk, |f| {
                    frames += 1;
                    checksum += f[0];
                });
            }
            stream.finish(|f| checksum += f[0]);
            stream.reset();
        }
        // Short signals take reflect padding's special path.
        stream.push(&signal[..10], |_| {});
        stream.finish(|f| checksum += f[0]);
        let made = allocations() - before;
        assert!(frames > 100 && checksum.is_finite());
        assert_eq!(made, 0, "{:?} padding: {made} allocations after construction", config.padding);
    }
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the test above against a counter that cannot fail.
    let before = allocations();
    let v: Vec<u8> = Vec::with_capacity(100);
    std::hint::black_box(&v);
    assert!(allocations() > before);
}
