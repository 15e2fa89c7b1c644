package imageextract

import (
	"reflect"
	"strings"
	"testing"
)

func TestResolveKeepsHTTPAndDropsFragments(t *testing.T) {
	base := "http://Example.COM:80/a/b.html"
	for raw, want := range map[string]string{
		"../img/x.png":      "http://example.com/img/x.png",
		"//cdn.test/y.jpg":  "http://cdn.test/y.jpg",
		"/#top":             "http://example.com/",
		"  z.webp?q=a b#f ": "http://example.com/a/z.webp?q=a%20b",
		"https://h.test":    "https://h.test/",
		`\img\w.png`:        "http://example.com/img/w.png",
	} {
		if got, ok := ResolveHTTPURL(raw, true, base); !ok || got != want {
			t.Errorf("%q: got %q, want %q", raw, got, want)
		}
	}
	for _, raw := range []string{"", "  ", "data:image/png;base64,AA", "javascript:alert(1)", "mailto:a@b", "ftp://h/x"} {
		if got, ok := ResolveHTTPURL(raw, true, base); ok {
			t.Errorf("%q resolved to %q", raw, got)
		}
	}
}

func TestSrcsetPicksTheLargestCandidate(t *testing.T) {
	cases := map[string]string{
		"/a.jpg 600w, /b.jpg 1200w":               "/b.jpg",
		"/a.png 1x, /b.png 2x":                    "/b.png",
		"/c.jpg":                                  "/c.jpg",
		"/x,y.jpg 100w, /z.jpg 50w":               "/x,y.jpg",
		"/one.jpg, /two.jpg 3x":                   "/two.jpg",
		"/f.jpg (max-width: 2px) 10w, /g.jpg 20w": "/g.jpg",
	}
	for in, want := range cases {
		if got, ok := LargestCandidate(in, true); !ok || got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestBoundCutsAtAWordInUTF16Units(t *testing.T) {
	long := strings.Repeat("word ", 100)
	got := Bound(long, 300)
	if !strings.HasSuffix(got, "…") || len([]rune(got)) > 300 || strings.HasSuffix(strings.TrimSuffix(got, "…"), " ") {
		t.Errorf("got %q", got)
	}
	if Bound("  a \u00a0 b\n", 300) != "a b" {
		t.Error("JavaScript whitespace is collapsed")
	}
}

func TestFindImagesAndLinks(t *testing.T) {
	page := `<html><head><base href="/assets/"><meta property="og:image" content="/img/og.png"></head><body>
<figure><img data-src="lazy.png" src="placeholder.gif" alt="A  lazy one"><figcaption>The caption</figcaption></figure>
<p>Around <picture><source srcset="/img/p-1x.webp 1x, /img/p-2x.webp 2x"><img src="/img/p.jpg" alt=""></picture></p>
<img src="/img/og.png" alt="og described"><a href="/next.html#x">n</a><a href="https://other.test/">o</a><a href="/page.html">self</a></body></html>`
	doc, err := Parse([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	base := BaseURLOf(doc, "http://h.test/page.html")
	got := FindImages(doc, base, 10)
	want := []Image{
		{URL: "http://h.test/img/og.png", Alt: "og described"},
		{URL: "http://h.test/assets/lazy.png", Alt: "A lazy one", Context: "The caption"},
		{URL: "http://h.test/img/p-2x.webp", Context: "Around"},
		{URL: "http://h.test/img/p.jpg", Context: "Around"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("images\n got %+v\nwant %+v", got, want)
	}
	if links := FindPageLinks(doc, base, "http://h.test/page.html", 10); !reflect.DeepEqual(links, []string{"http://h.test/next.html"}) {
		t.Errorf("links %v", links)
	}
}

func TestIntOrReadsLikeJavaScriptNumber(t *testing.T) {
	src := map[string]string{"a": "", "b": " 3 ", "c": "-1", "d": "1.5", "e": "x"}
	for key, want := range map[string]int{"a": 0, "b": 3, "c": 7, "d": 7, "e": 7, "missing": 7} {
		if got := intOr(src, key, 7); got != want {
			t.Errorf("%s: got %d, want %d", key, got, want)
		}
	}
}
