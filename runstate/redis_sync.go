package runstate

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// casScript stores a document only when it is newer than Redis's copy, and
// announces it, atomically: two instances reconciling after an outage
// cannot overwrite a newer change with an older one.
var casScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local o = cjson.decode(cur)
  local at = tonumber(ARGV[2])
  if o.at > at or (o.at == at and o.by >= ARGV[3]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`)

// reconcileEvery is a safety net for a change notice lost in a blip too
// short for the health check to see.
const reconcileEvery = 10 * time.Second

type notice struct {
	Doc string `json:"doc"`
	By  string `json:"by"`
}

// run is the reconciler: it follows Redis's change notices, pushes this
// instance's changes, and after every outage reconciles every document.
func (r *Redis) run(ctx context.Context) {
	defer close(r.done)
	var sub *redis.PubSub
	var msgs <-chan *redis.Message
	defer func() {
		if sub != nil {
			sub.Close()
		}
	}()
	// connect subscribes anew, confirmed, and only then reconciles: a
	// notice published after the reconcile is sure to arrive, and one
	// published before it is covered by it.
	connect := func() {
		if sub != nil {
			sub.Close()
		}
		sub = r.client.Subscribe(ctx, redisChannel)
		cctx, cancel := context.WithTimeout(ctx, redisTimeout)
		_, err := sub.Receive(cctx)
		cancel()
		if err != nil {
			sub.Close()
			sub, msgs = nil, nil
			r.setUp(err)
			return
		}
		msgs = sub.Channel()
		r.setUp(nil)
		r.reconcile(ctx)
	}
	health := time.NewTicker(redisRetry)
	defer health.Stop()
	full := time.NewTicker(reconcileEvery)
	defer full.Stop()
	connect()
	for {
		select {
		case <-ctx.Done():
			pctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
			r.pushDirty(pctx)
			cancel()
			return
		case m, ok := <-msgs:
			if !ok {
				msgs = nil
				continue
			}
			var n notice
			if json.Unmarshal([]byte(m.Payload), &n) == nil && n.By != r.instance {
				r.fetch(ctx, n.Doc)
			}
		case <-r.wake:
			r.pushDirty(ctx)
		case <-health.C:
			wasUp, _, _ := r.Status()
			if r.ping(ctx) && (!wasUp || sub == nil) {
				connect()
			}
		case <-full.C:
			if up, _, _ := r.Status(); up {
				r.reconcile(ctx)
			}
		}
	}
}

// ping checks that Redis answers, recording the outcome.
func (r *Redis) ping(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(ctx, redisTimeout)
	err := r.client.Ping(pctx).Err()
	cancel()
	wasUp, _, _ := r.Status()
	if err != nil || wasUp {
		r.setUp(err)
	}
	return err == nil
}

// setUp records whether the last call reached Redis, logging each change once.
func (r *Redis) setUp(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	up := err == nil
	if err != nil {
		r.lastErr = err
	}
	if up == r.up {
		return
	}
	r.up, r.since = up, time.Now()
	if up {
		r.log.Info("sync: connected to the shared state store; reconciling")
	} else {
		r.log.Warn("sync: shared state store unreachable; serving the last state, changes kept until it is back", zap.Error(err))
	}
}

// reconcile compares every document with Redis's copy: the newer wins.
func (r *Redis) reconcile(ctx context.Context) {
	names := map[string]bool{}
	r.mu.Lock()
	for n := range r.docs {
		names[n] = true
	}
	r.mu.Unlock()
	iter := r.client.Scan(ctx, 0, redisPrefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		names[strings.TrimPrefix(iter.Val(), redisPrefix)] = true
	}
	if err := iter.Err(); err != nil {
		r.setUp(err)
		return
	}
	for n := range names {
		r.fetch(ctx, n)
	}
}

// fetch reads name from Redis and keeps the newer of the two copies.
func (r *Redis) fetch(ctx context.Context, name string) {
	cctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	b, err := r.client.Get(cctx, redisPrefix+name).Bytes()
	if err != nil && !errors.Is(err, redis.Nil) {
		r.setUp(err)
		return
	}
	var remote *envelope
	if err == nil {
		remote = new(envelope)
		if json.Unmarshal(b, remote) != nil {
			remote = nil // a damaged copy loses to ours
		}
	}
	r.mu.Lock()
	local := r.docs[name]
	switch {
	case remote != nil && (local == nil || remote.newer(local)):
		r.docs[name] = remote
		err := r.saveMirror(name, remote)
		watchers := slices.Clone(r.watchers)
		r.mu.Unlock()
		if err != nil {
			r.log.Warn("sync mirror: not saved", zap.String("doc", name), zap.Error(err))
		}
		for _, fn := range watchers {
			fn(name)
		}
		return
	case local != nil && (remote == nil || local.newer(remote)):
		local.Dirty = true // Redis lost it, or never had it: ours goes in
	case local != nil:
		local.Dirty = false // the same copy
	}
	r.mu.Unlock()
	r.pushDirty(ctx)
}

// pushDirty sends every document changed here to Redis.
func (r *Redis) pushDirty(ctx context.Context) {
	r.mu.Lock()
	var todo []string
	for n, e := range r.docs {
		if e.Dirty {
			todo = append(todo, n)
		}
	}
	r.mu.Unlock()
	for _, n := range todo {
		r.push(ctx, n)
	}
}

func (r *Redis) push(ctx context.Context, name string) {
	r.mu.Lock()
	e := r.docs[name]
	if e == nil || !e.Dirty {
		r.mu.Unlock()
		return
	}
	sent := *e
	r.mu.Unlock()
	sent.Dirty = false
	body, _ := json.Marshal(&sent)
	note, _ := json.Marshal(notice{Doc: name, By: r.instance})
	cctx, cancel := context.WithTimeout(ctx, redisTimeout)
	stored, err := casScript.Run(cctx, r.client, []string{redisPrefix + name},
		string(body), sent.At, sent.By, redisChannel, string(note)).Int()
	cancel()
	r.setUp(err)
	if err != nil {
		return
	}
	r.mu.Lock()
	if cur := r.docs[name]; cur != nil && cur.At == sent.At && cur.By == sent.By {
		cur.Dirty = false
		_ = r.saveMirror(name, cur)
	}
	r.mu.Unlock()
	if stored == 0 {
		r.fetch(ctx, name) // Redis holds a newer copy: take it
	}
}
