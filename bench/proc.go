package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// proc is a benchmarked process; CPU and memory come from /proc (Linux).
type proc struct {
	name string
	cmd  *exec.Cmd
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// cpu returns the process's user+system CPU time so far.
func (p *proc) cpu() time.Duration { return cpuOf(p.cmd.Process.Pid) }

// cpuOf returns the user+system CPU time so far of the process pid (the bench's own: the
// load generator's).
func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start after the last ')'.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// rssKB returns the resident set size in KiB.
func (p *proc) rssKB() int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return n
		}
	}
	return 0
}

// sampleRSS samples RSS every 100 ms until the returned func is called; that returns the peak.
func (p *proc) sampleRSS() func() int64 {
	peak := p.rssKB()
	stop := every(100*time.Millisecond, func() {
		if v := p.rssKB(); v > 0 {
			peak = max(peak, v)
		}
	})
	return func() int64 {
		stop() // the sampler has ended: peak is ours
		return max(peak, p.rssKB())
	}
}

// every calls f every d, in a goroutine, until the returned stop is called; stop returns once
// f is no longer running.
func every(d time.Duration, f func()) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f()
			}
		}
	}()
	return func() {
		close(done)
		<-ended
	}
}
