//go:build !unix

package admission

import "time"

// processCPU is not measured here: without it Pressure never sheds.
func processCPU() (time.Duration, bool) { return 0, false }
