//! A small CPU rasteriser for egui's tessellated output, so tests can look at the editor as pixels (and save
//! the README's screenshots) with no window, display or GPU. The CPU renderers published for egui target
//! egui 0.34; ours is 0.37, so this draws the few things egui emits itself: triangles with per-vertex colour
//! and a texture coordinate into the font atlas, premultiplied-alpha blending, clip rectangles. One egui point
//! is one pixel.

use std::collections::HashMap;

use egui::epaint::{ClippedPrimitive, ImageData, Primitive, TextureId, textures::TexturesDelta};

/// An RGBA8 picture (premultiplied, then written out as plain RGBA on an opaque background).
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pixels: Vec<[f32; 4]>,
}

/// Textures egui uploaded (the font atlas and anything else), as RGBA floats in 0–1, premultiplied.
#[derive(Default)]
pub struct Textures {
    images: HashMap<TextureId, (usize, usize, Vec<[f32; 4]>)>,
}

impl Textures {
    /// Applies a frame's texture uploads.
    pub fn apply(&mut self, delta: &TexturesDelta) {
        for (id, update) in delta.set.iter().flat_map(|(id, updates)| updates.iter().map(move |u| (id, u))) {
            let ImageData::Color(image) = &update.image;
            let [w, h] = image.size;
            let pixels: Vec<[f32; 4]> =
                image.pixels.iter().map(|c| c.to_array().map(|v| f32::from(v) / 255.0)).collect();
            match update.pos {
                None => {
                    self.images.insert(*id, (w, h, pixels));
                }
                Some([x0, y0]) => {
                    if let Some((tw, _, target)) = self.images.get_mut(id) {
                        for y in 0..h {
                            for x in 0..w {
                                target[(y0 + y) * *tw + x0 + x] = pixels[y * w + x];
                            }
                        }
                    }
                }
            }
        }
    }

    fn sample(&self, id: TextureId, u: f32, v: f32) -> [f32; 4] {
        let Some((w, h, pixels)) = self.images.get(&id) else { return [1.0; 4] };
        let x = ((u * *w as f32) as usize).min(w - 1);
        let y = ((v * *h as f32) as usize).min(h - 1);
        pixels[y * w + x]
    }
}

impl Picture {
    /// A picture filled with `background` (opaque sRGB).
    pub fn new(width: usize, height: usize, background: [u8; 3]) -> Self {
        let [r, g, b] = background.map(|v| f32::from(v) / 255.0);
        Self { width, height, pixels: vec![[r, g, b, 1.0]; width * height] }
    }

    /// Draws tessellated primitives.
    pub fn draw(&mut self, primitives: &[ClippedPrimitive], textures: &Textures) {
        for primitive in primitives {
            let Primitive::Mesh(mesh) = &primitive.primitive else { continue };
            let clip = primitive.clip_rect;
            for triangle in mesh.indices.chunks_exact(3) {
                let [a, b, c] = [0, 1, 2].map(|k| &mesh.vertices[triangle[k] as usize]);
                self.triangle([a, b, c], clip, mesh.texture_id, textures);
            }
        }
    }

    fn triangle(&mut self, v: [&egui::epaint::Vertex; 3], clip: egui::Rect, texture: TextureId, textures: &Textures) {
        let [p0, p1, p2] = v.map(|v| v.pos);
        let area = (p1.x - p0.x) * (p2.y - p0.y) - (p2.x - p0.x) * (p1.y - p0.y);
        if area.abs() < 1e-6 {
            return;
        }
        let min_x = p0.x.min(p1.x).min(p2.x).max(clip.min.x).max(0.0).floor() as usize;
        let min_y = p0.y.min(p1.y).min(p2.y).max(clip.min.y).max(0.0).floor() as usize;
        let max_x = (p0.x.max(p1.x).max(p2.x).min(clip.max.x).ceil().max(0.0) as usize).min(self.width);
        let max_y = (p0.y.max(p1.y).max(p2.y).min(clip.max.y).ceil().max(0.0) as usize).min(self.height);
        let colors = v.map(|v| v.color.to_array().map(|c| f32::from(c) / 255.0));
        for y in min_y..max_y {
            for x in min_x..max_x {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let w0 = ((p1.x - px) * (p2.y - py) - (p2.x - px) * (p1.y - py)) / area;
                let w1 = ((p2.x - px) * (p0.y - py) - (p0.x - px) * (p2.y - py)) / area;
                let w2 = 1.0 - w0 - w1;
                if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                    continue;
                }
                let u = w0 * v[0].uv.x + w1 * v[1].uv.x + w2 * v[2].uv.x;
                let t = w0 * v[0].uv.y + w1 * v[1].uv.y + w2 * v[2].uv.y;
                let texel = textures.sample(texture, u, t);
                let mut source = [0.0f32; 4];
                for (k, s) in source.iter_mut().enumerate() {
                    let vertex = w0 * colors[0][k] + w1 * colors[1][k] + w2 * colors[2][k];
                    *s = vertex * texel[k];
                }
                // Premultiplied "over".
                let target = &mut self.pixels[y * self.width + x];
                for k in 0..4 {
                    target[k] = source[k] + target[k] * (1.0 - source[3]);
                }
            }
        }
    }

    /// Writes the picture as an opaque RGB PNG.
    pub fn save_png(&self, path: &std::path::Path) -> std::io::Result<()> {
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut encoder = png::Encoder::new(file, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
        let bytes: Vec<u8> = self
            .pixels
            .iter()
            .flat_map(|p| [p[0], p[1], p[2]].map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8))
            .collect();
        writer.write_image_data(&bytes).map_err(std::io::Error::other)
    }

    /// How many pixels inside `rect` are within `tolerance` (per channel, 0–255) of `color`: a way for tests to
    /// see that something of that colour was drawn there.
    pub fn count_color(&self, rect: egui::Rect, color: egui::Color32, tolerance: u8) -> usize {
        let (x0, y0) = (rect.min.x.max(0.0) as usize, rect.min.y.max(0.0) as usize);
        let (x1, y1) = ((rect.max.x as usize).min(self.width), (rect.max.y as usize).min(self.height));
        let target = [color.r(), color.g(), color.b()];
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = self.pixels[y * self.width + x];
                (0..3).all(|k| {
                    ((p[k].clamp(0.0, 1.0) * 255.0).round() as i32 - i32::from(target[k])).abs() <= i32::from(tolerance)
                })
            })
            .count()
    }
}
