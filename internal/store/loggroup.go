package store

import (
	"cmp"
	"slices"
	"strings"

	"github.com/conduit-gw/conduit/internal/usage"
)

// Lean log rows by group (loginsert.go): the columns of leanLogCols split into those that the
// requests of one client through one route nearly always share (groupLogCols) and those of
// each row (groupRowCols).
const (
	groupLogCols = `key_id, endpoint, alias, provider_id, provider_model, status, cached_tokens,
	stream, attempts, client_ip`
	groupRowCols      = `id, time, latency_ms, ttfb_ms, overhead_ms, prompt_tokens, completion_tokens, cost`
	groupLogColCount  = 10
	groupRowColCount  = leanLogColCount - groupLogColCount
	groupMinRows      = 16 // a run of fewer rows of a group is cheaper among the lean rows
	groupParamsPerRow = "(" + "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
)

// logGroup is the values of groupLogCols of a row.
type logGroup struct {
	keyID, endpoint, alias, providerID, providerModel, clientIP string
	status, cachedTokens, attempts                              int
	stream                                                      bool
}

func groupOf(r *usage.Record) logGroup {
	return logGroup{r.KeyID, r.Endpoint, r.Alias, r.ProviderID, r.ProviderModel, r.ClientIP,
		r.Status, r.CachedTokens, r.Attempts, r.Stream}
}

// sortByGroup numbers the groups of rows in order of first appearance and returns rows sorted
// by group, then time, then id (a permutation is sorted: cheaper than moving rows around).
func sortByGroup(rows []usagePending) []usagePending {
	if len(rows) < 2 {
		return rows
	}
	gids := map[logGroup]int32{}
	var last logGroup
	order := make([]int32, len(rows))
	for i := range rows {
		order[i] = int32(i)
		g := groupOf(rows[i].r)
		if i > 0 && g == last { // the common case: the same as the row before
			rows[i].gid = rows[i-1].gid
			continue
		}
		id, ok := gids[g]
		if !ok {
			id = int32(len(gids))
			gids[g] = id
		}
		rows[i].gid, last = id, g
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &rows[i], &rows[j]
		if a.gid != b.gid {
			return cmp.Compare(a.gid, b.gid)
		}
		if a.ms != b.ms {
			return cmp.Compare(a.ms, b.ms)
		}
		return strings.Compare(a.id, b.id)
	})
	sorted := make([]usagePending, len(rows))
	for i, j := range order {
		sorted[i] = rows[j]
	}
	return sorted
}

// insertGroupLogsSQL inserts n rows of one group, skipping a row whose id exists. The group's values are parameters 1 to
// groupLogColCount: "?" in the first row, "?1" to "?10" in the others. Each row's own values
// are "?" each, which SQLite numbers one past the largest number so far: the arguments are
// the group's values, then each row's (appendGroupArgs).
func insertGroupLogsSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT OR IGNORE INTO request_logs (` + groupLogCols + `, ` + groupRowCols + `) VALUES `)
	writeValues(&b, 1, leanLogColCount)
	row := groupParamsPerRow + strings.Repeat(", ?", groupRowColCount) + ")"
	for range n - 1 {
		b.WriteString(", ")
		b.WriteString(row)
	}
	return b.String()
}

// appendGroupArgs appends the arguments of insertGroupLogsSQL(len(rows)) for rows of one
// group.
func appendGroupArgs(args []any, rows []usagePending) []any {
	r := rows[0].r
	args = append(args, r.KeyID, r.Endpoint, r.Alias, r.ProviderID, r.ProviderModel,
		int64(r.Status), int64(r.CachedTokens), r.Stream, int64(r.Attempts), r.ClientIP)
	for _, p := range rows {
		r := p.r
		args = append(args, p.id, p.ms, r.LatencyMS, r.TTFBMS, r.OverheadMS,
			int64(r.PromptTokens), int64(r.CompletionTokens), r.Cost)
	}
	return args
}
