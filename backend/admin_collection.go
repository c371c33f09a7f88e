package backend

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Rows is what an admin collection (/admin/providers, /admin/models, /admin/keys,
// /admin/costs) needs of its store.
type Rows[T any] interface {
	List(ctx context.Context) ([]T, error)
	Get(ctx context.Context, id string) (T, error)
	Create(ctx context.Context, row *T) error
	Update(ctx context.Context, row *T) error
	Delete(ctx context.Context, id string) error
}

// collection is one admin collection (/admin/providers, /admin/models, /admin/keys) over its
// store: the list, get and delete handlers they share. T is the stored row, V what the API
// shows of it.
type collection[T, V any] struct {
	s    *Server
	name string // "model": in not-found errors and the audit trail
	rows Rows[T]
	view func(T) V
	// removed, if set, runs once a delete is stored, before it is applied and audited.
	removed func(ctx context.Context, before T)
	// cascade, if set, says what deleting row takes with it; the fallbacks it names are
	// pruned from the router once the row is gone.
	cascade func(ctx context.Context, row T) (dependents, error)
	// create is the collection's own POST handler.
	create echo.HandlerFunc
	// edit applies a PATCH's fields to row, a copy of before (and may do more: a provider's
	// secret). It may return how the audit trail is to record the row once stored (default:
	// as it is).
	edit func(ctx context.Context, before T, row *T, fields map[string]json.RawMessage) (audit func(T) any, err error)
}

// mount routes the collection at path: list, create, get, update and delete (and what a
// delete takes with it, for a collection that cascades).
func (r collection[T, V]) mount(g *echo.Group, path string) {
	g.GET(path, r.listAll)
	g.POST(path, r.create)
	g.GET(path+"/:id", r.getOne)
	g.PATCH(path+"/:id", r.patchOne)
	g.DELETE(path+"/:id", r.deleteOne)
	if r.cascade != nil {
		g.GET(path+"/:id/dependents", r.dependents)
	}
}

// dependents says what deleting the row would take with it.
func (r collection[T, V]) dependents(c echo.Context) error {
	row, err := r.current(c)
	if err != nil {
		return err
	}
	d, err := r.cascade(c.Request().Context(), row)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (r collection[T, V]) listAll(c echo.Context) error {
	all, err := r.rows.List(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]V, len(all))
	for i, row := range all {
		out[i] = r.view(row)
	}
	return c.JSON(http.StatusOK, list(out))
}

func (r collection[T, V]) getOne(c echo.Context) error {
	row, err := r.current(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r.view(row))
}

// current returns the row named by the request's :id.
func (r collection[T, V]) current(c echo.Context) (T, error) {
	row, err := r.rows.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		var zero T
		return zero, storeErr(err, r.name)
	}
	return row, nil
}

// patchOne reads the row, applies the request's fields to a copy, stores it, applies the
// change to the live configuration and audits it.
func (r collection[T, V]) patchOne(c echo.Context) error {
	before, err := r.current(c)
	if err != nil {
		return err
	}
	ctx, id := c.Request().Context(), c.Param("id")
	f, err := readObject(c)
	if err != nil {
		return err
	}
	row := before
	audit, err := r.edit(ctx, before, &row, f)
	if err != nil {
		return err
	}
	if err := r.rows.Update(ctx, &row); err != nil {
		return storeErr(err, r.name)
	}
	var after any = row
	if audit != nil {
		after = audit(row)
	}
	if err := r.s.changed(c, "update", r.name, id, before, after); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r.view(row))
}

func (r collection[T, V]) deleteOne(c echo.Context) error {
	before, err := r.current(c)
	if err != nil {
		return err
	}
	ctx, id := c.Request().Context(), c.Param("id")
	var deps dependents
	if r.cascade != nil {
		if deps, err = r.cascade(ctx, before); err != nil {
			return err
		}
	}
	if err := r.rows.Delete(ctx, id); err != nil {
		return storeErr(err, r.name)
	}
	if err := r.s.pruneFallbacks(c, deps.Fallbacks); err != nil {
		return err
	}
	if r.removed != nil {
		r.removed(ctx, before)
	}
	if err := r.s.changed(c, "delete", r.name, id, before, nil); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// singleton is one admin object stored whole (/admin/router, /admin/settings).
type singleton[T any] struct {
	s     *Server
	name  string // "router": in the audit trail
	get   func(ctx context.Context) (T, error)
	put   func(ctx context.Context, v T) error
	apply func(v *T, fields map[string]json.RawMessage) error
	// copy, if set, copies what apply must not change in place (maps) before it runs.
	copy func(T) T
}

// patch applies the request's fields to the stored object, stores it, applies it and records
// it in the audit trail; it returns the object as stored.
func (o singleton[T]) patch(c echo.Context) (T, error) {
	ctx := c.Request().Context()
	var zero T
	before, err := o.get(ctx)
	if err != nil {
		return zero, err
	}
	f, err := readObject(c)
	if err != nil {
		return zero, err
	}
	v := before
	if o.copy != nil {
		v = o.copy(before)
	}
	if err := o.apply(&v, f); err != nil {
		return zero, err
	}
	if err := o.put(ctx, v); err != nil {
		return zero, err
	}
	if err := o.s.changed(c, "update", o.name, o.name, before, v); err != nil {
		return zero, err
	}
	return v, nil
}
