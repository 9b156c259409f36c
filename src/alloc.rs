//! The allocator: mimalloc.
//!
//! Evaluation allocates many small values; mimalloc is markedly faster at
//! that than the system allocator (BENCHMARKS.md). Its version 2 (the
//! `v2` feature) holds less memory than version 3 (70 MB against 110 MB
//! at 10,000 recipes) and is faster here, where every page first touched
//! costs the zeroing of it.
//!
//! The `mimalloc` crate asks for every block through mimalloc's aligned
//! entry points, which check the alignment before they reach the common
//! path. Almost every request is for an alignment mimalloc gives anyway,
//! so those go straight to `mi_malloc` (2.5% of a cold evaluation's
//! instructions were spent on the detour).
//!
//! mimalloc gives freed memory back to the kernel 10 ms after it is free
//! by default. An evaluation frees each recipe's data store as the next
//! one fills up, so memory went back and came again as new pages, each
//! zeroed by the kernel (about 2,000 page faults against 206 at 10,000
//! recipes, ~1% of the CPU). [`tune`] waits a second instead: peak
//! memory is the same, and a process that runs long still gives back what
//! it no longer uses.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// mimalloc's `MI_MAX_ALIGN_SIZE`: a block of at least this many bytes is
/// aligned to this much, and a smaller block to its size rounded up to a
/// power of two (mimalloc's own `mi_malloc_is_naturally_aligned`).
const NATURAL: usize = 16;

fn natural(align: usize, size: usize) -> bool {
    align <= NATURAL && align <= size
}

pub struct Mimalloc;

/// How long freed memory stays with the process before it is given back.
const PURGE_DELAY_MS: std::ffi::c_long = 1000;

/// `mi_option_purge_delay` in mimalloc 2's `mimalloc.h` (the crate names
/// the options around it, not this one).
const MI_OPTION_PURGE_DELAY: mi::mi_option_t = 15;

/// Sets mimalloc's options (see above); called first thing in `main`.
/// `MIMALLOC_PURGE_DELAY` in the environment still decides, for
/// measuring.
pub fn tune() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain call into the allocator, with a valid option.
        unsafe { mi::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

// SAFETY: every block comes from mimalloc and goes back to it; a block is
// asked for through an unaligned entry point only when mimalloc's
// natural alignment (above) already meets the layout's.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let (size, align) = (layout.size(), layout.align());
        // SAFETY: plain calls into the allocator.
        unsafe {
            if natural(align, size) {
                mi::mi_malloc(size)
            } else {
                mi::mi_malloc_aligned(size, align)
            }
            .cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let (size, align) = (layout.size(), layout.align());
        // SAFETY: as in `alloc`.
        unsafe {
            if natural(align, size) {
                mi::mi_zalloc(size)
            } else {
                mi::mi_zalloc_aligned(size, align)
            }
            .cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator (the caller's contract).
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        // SAFETY: `ptr` came from this allocator with `layout` (the
        // caller's contract); the new block is aligned as `alloc` would.
        unsafe {
            if natural(align, new_size) {
                mi::mi_realloc(ptr.cast::<c_void>(), new_size)
            } else {
                mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, align)
            }
            .cast()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_is_the_option_tuned() {
        use libmimalloc_sys as mi;
        // The option's neighbours and its own default (10 ms) say the
        // number still names it in the mimalloc built.
        // (Set in the environment, the delay is the environment's, and
        // `tune` leaves it so.)
        let from_env = std::env::var_os("MIMALLOC_PURGE_DELAY").is_some();
        // SAFETY: plain reads and one write of the allocator's options.
        unsafe {
            assert_eq!(mi::mi_option_get(mi::mi_option_eager_commit_delay), 1);
            let before = mi::mi_option_get(super::MI_OPTION_PURGE_DELAY);
            if !from_env {
                assert_eq!(before, 10);
            }
            assert_eq!(mi::mi_option_get(mi::mi_option_use_numa_nodes), 0);
            super::tune();
            let tuned = if from_env { before } else { super::PURGE_DELAY_MS };
            assert_eq!(mi::mi_option_get(super::MI_OPTION_PURGE_DELAY), tuned);
        }
    }

    #[test]
    fn every_block_is_aligned_as_its_layout_asks() {
        use super::Mimalloc;
        use std::alloc::{GlobalAlloc, Layout};
        let mut blocks = Vec::new();
        for size in [
            1usize, 2, 3, 7, 8, 12, 16, 24, 40, 52, 56, 100, 1000, 5000, 70_000,
        ] {
            for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
                let layout = Layout::from_size_align(size, align).unwrap();
                for zeroed in [false, true] {
                    // SAFETY: a non-zero size; freed below with its layout.
                    let p = unsafe {
                        if zeroed {
                            Mimalloc.alloc_zeroed(layout)
                        } else {
                            Mimalloc.alloc(layout)
                        }
                    };
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size}, align {align}");
                    if zeroed {
                        // SAFETY: `size` bytes were just allocated.
                        assert!(
                            unsafe { std::slice::from_raw_parts(p, size) }
                                .iter()
                                .all(|&b| b == 0)
                        );
                    }
                    // SAFETY: grown and shrunk within the block's layout contract.
                    let p = unsafe { Mimalloc.realloc(p, layout, size * 3) };
                    assert_eq!(
                        p as usize % align,
                        0,
                        "realloc to {}, align {align}",
                        size * 3
                    );
                    blocks.push((p, Layout::from_size_align(size * 3, align).unwrap()));
                }
            }
        }
        for (p, layout) in blocks {
            // SAFETY: each block is freed once, with the layout it has.
            unsafe { Mimalloc.dealloc(p, layout) };
        }
    }
}
