package tray

import (
	"bytes"
	"encoding/binary"
)

// encodeICO wraps one PNG in an .ico container (PNG entries are valid in
// ICO since Windows Vista), because systray on Windows loads its icon with
// LoadImage(IMAGE_ICON), which rejects bare PNG.
func encodeICO(pngData []byte, size int) []byte {
	dim := byte(size)
	if size >= 256 {
		dim = 0 // 0 means 256 in an ICONDIRENTRY
	}
	var buf bytes.Buffer
	buf.Grow(6 + 16 + len(pngData))
	header := []any{
		// ICONDIR
		uint16(0), uint16(1), uint16(1), // reserved, type icon, one image
		// ICONDIRENTRY
		dim, dim, uint8(0), uint8(0), // width, height, palette, reserved
		uint16(1), uint16(32), // colour planes, bits per pixel
		uint32(len(pngData)), uint32(6 + 16), // size, offset of the image
	}
	for _, v := range header {
		_ = binary.Write(&buf, binary.LittleEndian, v) // bytes.Buffer writes cannot fail
	}
	buf.Write(pngData)
	return buf.Bytes()
}
