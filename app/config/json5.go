package config

import (
	"errors"
	"unicode"
	"unicode/utf8"
)

// errUnterminated is what the pre-pass reports for a string or comment that
// runs to the end of the file; the caller reports hujson's own error instead.
var errUnterminated = errors.New("unterminated string or comment")

// tolerantJSON5 rewrites the two JSON5 spellings that Milady accepts and
// hujson does not: identifier keys ({apiKey: 1}) get double quotes, and
// single-quoted strings become double-quoted. Comments, whitespace and every
// other byte are copied as they are, so hujson still reports whatever else is
// wrong (hex numbers, Infinity, …) and the user sees a real parse error rather
// than a silent guess.
func tolerantJSON5(b []byte) ([]byte, error) {
	out := make([]byte, 0, len(b)+64)
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			n, err := scanDoubleQuoted(b[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, b[i:i+n]...)
			i += n
		case c == '\'':
			s, n, err := convertSingleQuoted(b[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
			i += n
		case c == '/' && i+1 < len(b) && (b[i+1] == '/' || b[i+1] == '*'):
			n, err := scanComment(b[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, b[i:i+n]...)
			i += n
		case c == '-' || c == '+' || c == '.' || ('0' <= c && c <= '9'):
			// A number (or something like it) is copied whole so that the
			// "e" in 1e5 is never mistaken for an identifier.
			n := scanWord(b[i:])
			out = append(out, b[i:i+n]...)
			i += n
		case isIdentStart(b[i:]):
			n := scanIdent(b[i:])
			if nextIsColon(b[i+n:]) {
				out = append(out, '"')
				out = append(out, b[i:i+n]...)
				out = append(out, '"')
			} else {
				out = append(out, b[i:i+n]...) // true, false, null, or an error for hujson
			}
			i += n
		default:
			out = append(out, c)
			i++
		}
	}
	return out, nil
}

// scanDoubleQuoted returns the length of the double-quoted string at b[0].
func scanDoubleQuoted(b []byte) (int, error) {
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, errUnterminated
}

// convertSingleQuoted turns the single-quoted string at b[0] into a
// double-quoted one: \' becomes ', a bare " gets a backslash, and every
// other escape is kept for hujson to judge.
func convertSingleQuoted(b []byte) ([]byte, int, error) {
	out := []byte{'"'}
	for i := 1; i < len(b); i++ {
		switch c := b[i]; c {
		case '\\':
			if i+1 >= len(b) {
				return nil, 0, errUnterminated
			}
			if b[i+1] == '\'' {
				out = append(out, '\'')
			} else {
				out = append(out, c, b[i+1])
			}
			i++
		case '"':
			out = append(out, '\\', '"')
		case '\'':
			return append(out, '"'), i + 1, nil
		case '\n':
			return nil, 0, errUnterminated
		default:
			out = append(out, c)
		}
	}
	return nil, 0, errUnterminated
}

// scanComment returns the length of the // or /* comment at b[0]; a line
// comment stops before its newline.
func scanComment(b []byte) (int, error) {
	if b[1] == '/' {
		for i := 2; i < len(b); i++ {
			if b[i] == '\n' {
				return i, nil
			}
		}
		return len(b), nil
	}
	for i := 2; i+1 < len(b); i++ {
		if b[i] == '*' && b[i+1] == '/' {
			return i + 2, nil
		}
	}
	return 0, errUnterminated
}

// scanWord returns the length of a run of number-ish bytes.
func scanWord(b []byte) int {
	i := 0
	for i < len(b) {
		c := b[i]
		if c == '-' || c == '+' || c == '.' || c == '_' ||
			('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
			i++
			continue
		}
		break
	}
	return max(i, 1)
}

// isIdentStart reports whether b starts with a JSON5 identifier: a letter,
// '_' or '$'.
func isIdentStart(b []byte) bool {
	r, _ := utf8.DecodeRune(b)
	return r == '_' || r == '$' || (r != utf8.RuneError && unicode.IsLetter(r))
}

// scanIdent returns the length of the identifier at b[0].
func scanIdent(b []byte) int {
	i := 0
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == '_' || r == '$' || (r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))) {
			i += n
			continue
		}
		break
	}
	return max(i, 1)
}

// nextIsColon reports whether the next token after whitespace and comments
// is ':', which makes the identifier before it an object key.
func nextIsColon(b []byte) bool {
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '/' && i+1 < len(b) && (b[i+1] == '/' || b[i+1] == '*'):
			n, err := scanComment(b[i:])
			if err != nil {
				return false
			}
			i += n
		default:
			return c == ':'
		}
	}
	return false
}
