package imageextract

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

var nonFetchable = regexp.MustCompile(`(?i)^(data|javascript|blob|about|mailto|tel):`)

// ResolveHTTPURL resolves raw against base the way a browser does for the cases pages use:
// http(s) only, fragment dropped, host lower-cased, default port and empty path normalised.
func ResolveHTTPURL(raw string, present bool, base string) (string, bool) {
	if !present {
		return "", false
	}
	trimmed := trimJS(raw)
	if trimmed == "" || nonFetchable.MatchString(trimmed) {
		return "", false
	}
	// The URL standard drops tabs and newlines anywhere and reads `\` as `/` in http(s) URLs.
	trimmed = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(trimmed)
	b, err := url.Parse(base)
	if err != nil {
		return "", false
	}
	ref, err := url.Parse(trimmed)
	if err != nil {
		return "", false
	}
	u := b.ResolveReference(ref)
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" && !(u.Scheme == "http" && port == "80") && !(u.Scheme == "https" && port == "443") {
		host += ":" + port
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawQuery = strings.ReplaceAll(u.RawQuery, " ", "%20")
	return u.String(), true
}

// SrcsetCandidate is one entry of a srcset attribute.
type SrcsetCandidate struct {
	URL     string
	Width   int     // 0 = none
	Density float64 // 0 = none
}

var (
	widthDescriptor   = regexp.MustCompile(`(?i)^(\d+)w$`)
	densityDescriptor = regexp.MustCompile(`(?i)^(\d*\.?\d+)x$`)
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// ParseSrcset parses a srcset attribute (commas may appear inside URLs; descriptors follow whitespace).
func ParseSrcset(s string) []SrcsetCandidate {
	var out []SrcsetCandidate
	i := 0
	for i < len(s) {
		for i < len(s) && (isSpace(s[i]) || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		u := s[start:i]
		descriptor := ""
		if strings.HasSuffix(u, ",") {
			u = strings.TrimRight(u, ",")
		} else {
			depth := 0
			for i < len(s) && (s[i] != ',' || depth > 0) {
				if s[i] == '(' {
					depth++
				} else if s[i] == ')' && depth > 0 {
					depth--
				}
				descriptor += string(s[i])
				i++
			}
			i++
		}
		if u == "" {
			continue
		}
		c := SrcsetCandidate{URL: u}
		for _, token := range strings.Fields(descriptor) {
			if m := widthDescriptor.FindStringSubmatch(token); m != nil {
				c.Width, _ = strconv.Atoi(m[1])
			} else if m := densityDescriptor.FindStringSubmatch(token); m != nil {
				c.Density, _ = strconv.ParseFloat(m[1], 64)
			}
		}
		out = append(out, c)
	}
	return out
}

// LargestCandidate is the candidate a high-resolution client downloads: largest width, else largest density.
func LargestCandidate(value string, present bool) (string, bool) {
	if !present {
		return "", false
	}
	cs := ParseSrcset(value)
	if len(cs) == 0 {
		return "", false
	}
	var best *SrcsetCandidate
	for i := range cs {
		if cs[i].Width > 0 && (best == nil || cs[i].Width > best.Width) {
			best = &cs[i]
		}
	}
	if best != nil {
		return best.URL, true
	}
	density := func(c SrcsetCandidate) float64 {
		if c.Density == 0 {
			return 1
		}
		return c.Density
	}
	b := cs[0]
	for _, c := range cs[1:] {
		if density(c) > density(b) {
			b = c
		}
	}
	return b.URL, true
}
