// Package imageextract is the image-extract step of the main job in Go, the twin of
// operators/image-extract: a page's images (<img> src, srcset's largest candidate, lazy-load
// attributes, <picture> sources, og:image / twitter:image, <link rel=image_src>) resolved against
// <base href>, with alt, title and surrounding text, and its same-site links.
package imageextract

import (
	"strings"

	"golang.org/x/net/html"
)

// Image is one image link a page references.
type Image struct {
	URL     string `json:"url"`
	Alt     string `json:"alt"`
	Title   string `json:"title"`
	Context string `json:"context"`
}

// Where lazy-loading scripts keep the real URL; checked in this order before src.
var (
	LazySrcsetAttrs = []string{"data-srcset", "data-lazy-srcset", "data-original-set"}
	LazySrcAttrs    = []string{"data-src", "data-original", "data-lazy-src", "data-lazy", "data-url", "data-hi-res-src", "data-full-src", "data-echo", "lazy-src", "data-srcset-fallback"}
	metaImage       = map[string]bool{"og:image": true, "og:image:url": true, "og:image:secure_url": true, "twitter:image": true, "twitter:image:src": true}
)

// Parse reads a page as the twin does (UTF-8, <noscript> content parsed as markup).
func Parse(page []byte) (*html.Node, error) {
	return html.ParseWithOptions(strings.NewReader(strings.ToValidUTF8(string(page), "\uFFFD")), html.ParseOptionEnableScripting(false))
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func elements(n *html.Node, match func(*html.Node) bool, visit func(*html.Node) bool) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && match(c) && !visit(c) {
			return false
		}
		if !elements(c, match, visit) {
			return false
		}
	}
	return true
}

// FindImages lists every image the page references, in document order, resolved and deduplicated.
func FindImages(doc *html.Node, baseURL string, maxImages int) []Image {
	var order []string
	found := map[string]Image{}
	add := func(raw string, present bool, info Image) {
		u, ok := ResolveHTTPURL(raw, present, baseURL)
		if !ok {
			return
		}
		info.URL = u
		seen, dup := found[u]
		if !dup {
			if len(order) < maxImages {
				order = append(order, u)
				found[u] = info
			}
		} else if seen.Alt == "" && info.Alt != "" {
			// The same image met again with a description (og:image first, then the <img>): keep it.
			found[u] = info
		}
	}
	isCandidate := func(e *html.Node) bool { return e.Data == "img" || e.Data == "meta" || e.Data == "link" }
	elements(doc, isCandidate, func(el *html.Node) bool {
		switch el.Data {
		case "meta":
			key, ok := attr(el, "property")
			if !ok {
				key, _ = attr(el, "name")
			}
			if metaImage[strings.ToLower(key)] {
				content, has := attr(el, "content")
				add(content, has, Image{})
			}
		case "link":
			rel, _ := attr(el, "rel")
			for _, r := range strings.FieldsFunc(strings.ToLower(rel), isJSSpace) {
				if r == "image_src" {
					href, has := attr(el, "href")
					add(href, has, Image{})
					break
				}
			}
		default:
			alt, _ := attr(el, "alt")
			title, _ := attr(el, "title")
			info := Image{Alt: Bound(alt, MaxContext), Title: Bound(title, MaxContext), Context: imageContext(el)}
			if p := el.Parent; p != nil && p.Type == html.ElementNode && p.Data == "picture" {
				for s := p.FirstChild; s != nil; s = s.NextSibling {
					if s.Type == html.ElementNode && s.Data == "source" {
						u, ok := sourceURL(s)
						add(u, ok, info)
					}
				}
			}
			u, ok := imgURL(el)
			add(u, ok, info)
		}
		return true
	})
	out := make([]Image, 0, len(order))
	for _, u := range order {
		out = append(out, found[u])
	}
	return out
}

func imgURL(img *html.Node) (string, bool) {
	for _, a := range LazySrcsetAttrs {
		v, has := attr(img, a)
		if u, ok := LargestCandidate(v, has); ok {
			return u, true
		}
	}
	for _, a := range LazySrcAttrs {
		if v, has := attr(img, a); has && trimJS(v) != "" {
			return v, true
		}
	}
	srcset, has := attr(img, "srcset")
	if u, ok := LargestCandidate(srcset, has); ok {
		return u, true
	}
	return attr(img, "src")
}

func sourceURL(source *html.Node) (string, bool) {
	for _, a := range []string{"data-srcset", "srcset"} {
		v, has := attr(source, a)
		if u, ok := LargestCandidate(v, has); ok {
			return u, true
		}
	}
	if v, has := attr(source, "data-src"); has {
		return v, true
	}
	return attr(source, "src")
}

// FindPageLinks lists same-site links (a[href], area[href] on the page's own host and port),
// resolved against <base>, without fragments, deduplicated, the page itself excluded.
func FindPageLinks(doc *html.Node, baseURL, pageURL string, maxLinks int) []string {
	self, _ := ResolveHTTPURL(pageURL, true, pageURL)
	page := hostOf(self)
	out := []string{}
	seen := map[string]bool{}
	isLink := func(e *html.Node) bool {
		_, has := attr(e, "href")
		return (e.Data == "a" || e.Data == "area") && has
	}
	elements(doc, isLink, func(el *html.Node) bool {
		if len(out) >= maxLinks {
			return false
		}
		href, _ := attr(el, "href")
		u, ok := ResolveHTTPURL(href, true, baseURL)
		if !ok || u == self || hostOf(u) != page || seen[u] {
			return true
		}
		seen[u] = true
		out = append(out, u)
		return true
	})
	return out
}

// BaseURLOf is the first <base href> that resolves to http(s), else the page URL.
func BaseURLOf(doc *html.Node, pageURL string) string {
	base := pageURL
	elements(doc, func(e *html.Node) bool {
		_, has := attr(e, "href")
		return e.Data == "base" && has
	}, func(el *html.Node) bool {
		href, _ := attr(el, "href")
		if u, ok := ResolveHTTPURL(href, true, pageURL); ok {
			base = u
		}
		return false
	})
	return base
}

// CanonicalOf is the page's first <link rel="canonical">, resolved against the base URL.
func CanonicalOf(doc *html.Node, baseURL string) (string, bool) {
	var href string
	found := false
	elements(doc, func(e *html.Node) bool {
		rel, _ := attr(e, "rel")
		return e.Data == "link" && hasToken(strings.ToLower(rel), "canonical")
	}, func(el *html.Node) bool {
		href, found = attr(el, "href")
		return false
	})
	return ResolveHTTPURL(href, found, baseURL)
}

func hasToken(list, token string) bool {
	for _, t := range strings.Fields(list) {
		if t == token {
			return true
		}
	}
	return false
}

func hostOf(u string) string {
	rest := u[strings.Index(u, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
