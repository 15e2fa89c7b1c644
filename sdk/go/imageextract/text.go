package imageextract

import (
	"strings"
	"unicode/utf16"

	"golang.org/x/net/html"
)

// MaxContext bounds alt, title and context texts (UTF-16 code units, as the TypeScript twin counts).
const MaxContext = 300

var blocks = map[string]bool{"p": true, "li": true, "figure": true, "td": true, "th": true, "dd": true, "dt": true, "blockquote": true, "div": true, "section": true, "article": true, "header": true, "footer": true, "aside": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "a": true, "span": true}

const maxClimb = 3

// isJSSpace is JavaScript's \s (what the twin's collapse and trim use).
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func trimJS(s string) string { return strings.TrimFunc(s, isJSSpace) }

func collapse(s string) string { return strings.Join(strings.FieldsFunc(s, isJSSpace), " ") }

// Bound collapses whitespace and cuts text past max at a word boundary when one is near, adding "…".
func Bound(text string, max int) string {
	t := collapse(text)
	units := utf16.Encode([]rune(t))
	if len(units) <= max {
		return t
	}
	cut := units[:max-1]
	space := -1
	for i := len(cut) - 1; i >= 0; i-- {
		if cut[i] == ' ' {
			space = i
			break
		}
	}
	if float64(space) > float64(max)*0.6 {
		cut = cut[:space]
	}
	return string(utf16.Decode(cut)) + "…"
}

func textContent(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
		case html.CommentNode:
		default:
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

func findOne(n *html.Node, match func(*html.Node) bool) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && match(c) {
			return c
		}
		if found := findOne(c, match); found != nil {
			return found
		}
	}
	return nil
}

// imageContext is the image's figure caption, else the text of the nearest block that has any.
func imageContext(img *html.Node) string {
	node := img.Parent
	climbed := 0
	for node != nil && node.Type == html.ElementNode && climbed < maxClimb {
		if node.Data == "figure" {
			if caption := findOne(node, func(e *html.Node) bool { return e.Data == "figcaption" }); caption != nil {
				return Bound(textContent(caption), MaxContext)
			}
		}
		if blocks[node.Data] {
			if text := collapse(textContent(node)); text != "" {
				return Bound(text, MaxContext)
			}
			climbed++
		}
		if node.Data == "body" || node.Data == "main" {
			break
		}
		node = node.Parent
	}
	return ""
}
