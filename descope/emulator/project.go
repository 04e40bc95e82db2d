package emulator

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// RateLimitTier is the tier GET /v1/mgmt/license answers with.
const RateLimitTier = "tier2"

func (e *Emulator) license(*call) (any, error) {
	return map[string]string{"rateLimitTier": RateLimitTier}, nil
}

func (e *Emulator) projectName(c *call) (any, error) {
	var req struct {
		Name string `json:"name"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, missingField("name")
	}
	e.st.Name = req.Name
	return empty{}, nil
}

// checkTags applies Terraform's rule for project tags: 1 to 50 characters.
func checkTags(tags []string) error {
	for _, t := range tags {
		if n := utf8.RuneCountInString(t); n < 1 || n > 50 {
			return invalid("tag %q must be 1 to 50 characters long", t)
		}
	}
	return nil
}

func (e *Emulator) projectTags(c *call) (any, error) {
	var req struct {
		Tags []string `json:"tags"`
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	e.st.Tags = slices.Clone(nonNil(req.Tags))
	return empty{}, nil
}
