//! The last N mel frames, oldest first: the segment a model sees next.

/// A fixed-capacity ring of mel frames.
pub struct FrameRing {
    data: Vec<f32>,
    n_mels: usize,
    capacity: usize,
    /// Index of the slot the next frame goes to.
    next: usize,
    len: usize,
}

impl FrameRing {
    /// Room for `capacity` frames of `n_mels` values.
    pub fn new(capacity: usize, n_mels: usize) -> Self {
        Self { data: vec![0.0; capacity * n_mels], n_mels, capacity, next: 0, len: 0 }
    }

    /// Appends a frame, dropping the oldest when full.
    pub fn push(&mut self, frame: &[f32]) {
        let at = self.next * self.n_mels;
        self.data[at..at + self.n_mels].copy_from_slice(frame);
        self.next = (self.next + 1) % self.capacity;
        self.len = (self.len + 1).min(self.capacity);
    }

    /// True once `capacity` frames have been pushed since the last clear.
    pub fn is_full(&self) -> bool {
        self.len == self.capacity
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no frame is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every frame.
    pub fn clear(&mut self) {
        self.next = 0;
        self.len = 0;
    }

    /// Tops a ring that is not yet full up by repeating the frames it holds, oldest first, as if the sound went
    /// on looping: a file shorter than a model's window is read as more of itself, the way every window the
    /// model trained on was full of sound, rather than as sound followed by silence the training material
    /// never ended in ([`crate::voicing::repeat_to_fill`]). Does nothing on an empty ring.
    pub fn repeat_to_full(&mut self) {
        if self.len == 0 {
            return;
        }
        // Oldest frame first at the start of the buffer, then the one fill rule training uses too.
        let start = (self.next + self.capacity - self.len) % self.capacity;
        self.data.rotate_left(start * self.n_mels);
        crate::voicing::repeat_to_fill(&mut self.data, self.len * self.n_mels);
        (self.next, self.len) = (0, self.capacity);
    }

    /// Calls `f(t, frame)` for the held frames, oldest (`t = 0`) first.
    pub fn for_each(&self, mut f: impl FnMut(usize, &[f32])) {
        let start = (self.next + self.capacity - self.len) % self.capacity;
        for t in 0..self.len {
            let slot = (start + t) % self.capacity;
            f(t, &self.data[slot * self.n_mels..(slot + 1) * self.n_mels]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_frames_in_order() {
        let mut ring = FrameRing::new(3, 2);
        for i in 0..5 {
            ring.push(&[i as f32, -(i as f32)]);
        }
        assert!(ring.is_full());
        let mut seen = Vec::new();
        ring.for_each(|t, f| seen.push((t, f[0])));
        assert_eq!(seen, [(0, 2.0), (1, 3.0), (2, 4.0)]);
        ring.clear();
        assert!(ring.is_empty());
        ring.push(&[9.0, 9.0]);
        let mut first = None;
        ring.for_each(|_, f| first = Some(f[0]));
        assert_eq!(first, Some(9.0));
    }

    #[test]
    fn a_short_ring_fills_up_with_its_own_frames_in_order() {
        let mut ring = FrameRing::new(7, 1);
        // Wrap the write position first, so the repeat has to read across the ring's end.
        for i in 0..9 {
            ring.push(&[i as f32]);
        }
        ring.clear();
        ring.repeat_to_full();
        assert!(ring.is_empty(), "nothing to repeat");
        for i in 0..3 {
            ring.push(&[10.0 + i as f32]);
        }
        ring.repeat_to_full();
        assert!(ring.is_full());
        let mut seen = Vec::new();
        ring.for_each(|_, f| seen.push(f[0]));
        assert_eq!(seen, [10.0, 11.0, 12.0, 10.0, 11.0, 12.0, 10.0]);
    }
}
