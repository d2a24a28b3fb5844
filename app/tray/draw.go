package tray

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
)

// Colours of the icons. Fills are mid-bright so they stand out on dark
// panels, and every shape gets a dark outline so it also stands out on light
// ones.
var (
	colOutline = color.NRGBA{R: 0x14, G: 0x16, B: 0x1a, A: 0xc8}
	colGrey    = color.NRGBA{R: 0xa4, G: 0xaa, B: 0xb3, A: 0xff}
	colBlue    = color.NRGBA{R: 0x3b, G: 0x8e, B: 0xf0, A: 0xff}
	colGreen   = color.NRGBA{R: 0x2f, G: 0xbf, B: 0x71, A: 0xff}
	colRed     = color.NRGBA{R: 0xe5, G: 0x38, B: 0x3b, A: 0xff}
	colAmber   = color.NRGBA{R: 0xf5, G: 0xa5, B: 0x24, A: 0xff}
	colWhite   = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
)

// sdf is a signed distance in pixels from a pixel centre to a shape's edge:
// negative inside. Shapes are drawn from distances so every size is
// anti-aliased the same way, with no assets to keep in sync.
type sdf func(x, y float64) float64

// layer is one shape painted in one colour; erase clears instead of painting
// (used to cut a gap around the badge).
type layer struct {
	shape sdf
	col   color.NRGBA
	erase bool
}

// RenderIcon draws the icon for k at size×size pixels and returns it as PNG.
// It never fails: the inputs are fixed and encoding to memory cannot error.
func RenderIcon(k IconKey, size int) []byte {
	if size < 8 {
		size = 8
	}
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for _, l := range iconLayers(k, float64(size)) {
		paint(img, l)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		panic("tray: encode icon: " + err.Error()) // unreachable: in-memory writer
	}
	return buf.Bytes()
}

// paint composites one layer onto dst through a coverage mask.
func paint(dst *image.RGBA, l layer) {
	b := dst.Bounds()
	mask := image.NewAlpha(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			d := l.shape(float64(x)+0.5, float64(y)+0.5)
			cov := math.Max(0, math.Min(1, 0.5-d))
			mask.SetAlpha(x, y, color.Alpha{A: uint8(math.Round(cov * 255))})
		}
	}
	if l.erase {
		// draw.Src with a mask would also clear everything outside it, so
		// scale the (premultiplied) pixels by the uncovered fraction instead.
		for i, a := range mask.Pix {
			keep := 255 - uint32(a)
			px := dst.Pix[4*i : 4*i+4 : 4*i+4]
			for c := range px {
				px[c] = uint8((uint32(px[c])*keep + 127) / 255)
			}
		}
		return
	}
	draw.DrawMask(dst, b, image.NewUniform(l.col), image.Point{}, mask, b.Min, draw.Over)
}

// iconLayers lays out the glyph and badge for a size×size canvas. The design
// grid is 32 px; everything scales from it.
func iconLayers(k IconKey, size float64) []layer {
	u := size / 32
	ow := math.Max(1, 1.4*u) // outline width
	cx, cy := size/2, size/2
	const outerRadius = 13.0 // disk radius / ring outer radius on the 32 grid

	var ls []layer
	add := func(shape sdf, col color.NRGBA) {
		ls = append(ls, layer{shape: grow(shape, ow), col: colOutline}, layer{shape: shape, col: col})
	}
	switch k.Base {
	case GlyphDisconnected:
		add(ring(cx, cy, (outerRadius-2.5)*u, 5*u), colGrey)
	case GlyphConnecting:
		add(arc(cx, cy, (outerRadius-2.5)*u, 5*u, 0, 3*math.Pi/2), colBlue) // gap top-right, like a spinner
	case GlyphConnected:
		add(circle(cx, cy, outerRadius*u), colGreen)
	case GlyphError:
		add(circle(cx, cy, outerRadius*u), colRed)
		ls = append(ls, layer{shape: cross(cx, cy, 5*u, 1.7*u), col: colWhite})
	}
	if k.Badge == BadgeNone {
		return ls
	}
	br := 6.5 * u
	bx, by := size-br-ow-0.25*u, size-br-ow-0.25*u // outline stays on the canvas
	// Cut a transparent gap around the badge so it reads as separate from
	// the glyph, then draw it with its own outline.
	ls = append(ls, layer{shape: circle(bx, by, br+ow+u), erase: true})
	switch k.Badge {
	case BadgeLow:
		add(circle(bx, by, br), colAmber)
	case BadgeCritical:
		add(circle(bx, by, br), colRed)
		ls = append(ls, layer{shape: bang(bx, by, br), col: colWhite})
	case BadgeError:
		add(circle(bx, by, br), colRed)
		ls = append(ls, layer{shape: cross(bx, by, 0.42*br, 0.14*br), col: colWhite})
	}
	return ls
}

// grow widens a shape by w pixels (its outline).
func grow(s sdf, w float64) sdf {
	return func(x, y float64) float64 { return s(x, y) - w }
}

func union(a, b sdf) sdf {
	return func(x, y float64) float64 { return math.Min(a(x, y), b(x, y)) }
}

func circle(cx, cy, r float64) sdf {
	return func(x, y float64) float64 { return math.Hypot(x-cx, y-cy) - r }
}

// ring is a circle's stroke: centre radius r, stroke width w.
func ring(cx, cy, r, w float64) sdf {
	return func(x, y float64) float64 { return math.Abs(math.Hypot(x-cx, y-cy)-r) - w/2 }
}

// arc is a stroke of the circle of radius r from angle start sweeping span
// radians clockwise on screen, with round caps.
func arc(cx, cy, r, w, start, span float64) sdf {
	ex1, ey1 := cx+r*math.Cos(start), cy+r*math.Sin(start)
	ex2, ey2 := cx+r*math.Cos(start+span), cy+r*math.Sin(start+span)
	return func(x, y float64) float64 {
		caps := math.Min(math.Hypot(x-ex1, y-ey1), math.Hypot(x-ex2, y-ey2)) - w/2
		a := math.Atan2(y-cy, x-cx) - start
		a = math.Mod(a+4*math.Pi, 2*math.Pi)
		if a <= span {
			return math.Min(caps, math.Abs(math.Hypot(x-cx, y-cy)-r)-w/2)
		}
		return caps
	}
}

// segment is a capsule from (ax,ay) to (bx,by) with half-width r.
func segment(ax, ay, bx, by, r float64) sdf {
	return func(x, y float64) float64 {
		px, py := x-ax, y-ay
		dx, dy := bx-ax, by-ay
		t := math.Max(0, math.Min(1, (px*dx+py*dy)/(dx*dx+dy*dy)))
		return math.Hypot(px-t*dx, py-t*dy) - r
	}
}

// cross is an × of half-extent e and stroke half-width r.
func cross(cx, cy, e, r float64) sdf {
	return union(segment(cx-e, cy-e, cx+e, cy+e, r), segment(cx-e, cy+e, cx+e, cy-e, r))
}

// bang is an exclamation mark inside a badge of radius br.
func bang(cx, cy, br float64) sdf {
	r := 0.13 * br
	return union(segment(cx, cy-0.5*br, cx, cy+0.1*br, r), circle(cx, cy+0.45*br, r*1.15))
}
