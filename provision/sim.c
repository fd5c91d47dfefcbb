/* The simulator's link: bytes in and out of the agent with the faults of
 * signet/sim.h, and the switch to the next unit after a RESET. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_priv.h"

static int load_unit(struct sg_sim *s, unsigned unit, struct sg_err *err)
{
	uint8_t uid[SGP_UID_MAX];
	uint8_t len = s->o.uid_len;

	s->unit = unit;
	if (unit == 0)
		snprintf(s->path, sizeof s->path, "%s", s->o.state_path);
	else
		snprintf(s->path, sizeof s->path, "%s.%u", s->o.state_path, unit);
	/* unit k's UID: the given one plus k, as a big-endian number */
	memcpy(uid, s->o.uid, sizeof uid);
	for (unsigned k = unit; len && k; k--)
		for (int i = len - 1; i >= 0 && ++uid[i] == 0; i--)
			;
	s->changes = 0;
	s->power_cut = 0;
	s->infos = 0;
	int rc = sim_device_load(s, uid, len, err);
	sgp_agent_init(&s->agent, &s->hal); /* the HAL is filled by the load */
	sgp_rx_init(&s->peek, s->peek_buf, sizeof s->peek_buf);
	return rc;
}

int sg_sim_new(const struct sg_sim_opts *o, struct sg_sim **s, struct sg_err *err)
{
	struct sg_sim *x = calloc(1, sizeof *x);
	int rc;

	if (!x)
		return sg_errf(err, SG_EENV, "out of memory");
	x->o = *o;
	if (!x->o.units)
		x->o.units = 1;
	x->rng = o->seed ? o->seed : 1;
	if ((rc = load_unit(x, 0, err)) != SG_OK) {
		sg_sim_free(x);
		return rc;
	}
	*s = x;
	return SG_OK;
}

void sg_sim_free(struct sg_sim *s)
{
	if (!s)
		return;
	sim_device_clear(s);
	free(s);
}

const char *sg_sim_uid(const struct sg_sim *s)
{
	return s->uid_hex;
}

/* xorshift32: reproducible faults from --seed. */
static double chance(struct sg_sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 17;
	s->rng ^= s->rng << 5;
	return (double)s->rng / 4294967296.0;
}

/* Applies drop and corrupt to n bytes in place; returns how many remain. */
static size_t garble(struct sg_sim *s, uint8_t *b, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s->o.drop > 0 && chance(s) < s->o.drop)
			continue;
		b[o] = b[i];
		if (s->o.corrupt > 0 && chance(s) < s->o.corrupt)
			b[o] ^= (uint8_t)(1u << (s->rng % 8));
		o++;
	}
	return o;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (ms && nanosleep(&ts, &ts) != 0)
		;
}

/* The time n bytes take at the line rate. */
static void pace(const struct sg_sim *s, size_t n)
{
	if (s->o.baud)
		sleep_ms((unsigned)((n * 10 * 1000 + s->o.baud - 1) / s->o.baud));
}

static int answer(struct sg_sim *s, struct sg_transport *t, const uint8_t *out, size_t n,
		  struct sg_err *err)
{
	uint8_t buf[sizeof s->agent.tx_buf];

	memcpy(buf, out, n);
	n = garble(s, buf, n);
	sleep_ms(s->o.latency_ms);
	pace(s, n);
	return sg_transport_write(t, buf, n, 5000, err);
}

/* One received byte: the agent's answer goes out; after a RESET, the next
 * unit. The command being answered is read along so that the faults that
 * lie know what they are answering. SG_OK, SG_EENV (the state cannot be
 * saved), or -1: the station is gone. */
static int byte_in(struct sg_sim *s, struct sg_transport *t, uint8_t b, struct sg_err *err)
{
	struct sgp_frame f;
	const uint8_t *out;
	struct sg_err gone;
	size_t n;

	if (sgp_rx_byte(&s->peek, b, &f) && f.kind == SGP_REQUEST) {
		s->cmd = f.cmd;
		s->infos += f.cmd == SGP_INFO;
	}
	n = sgp_agent_byte(&s->agent, b, &out);
	if (s->save_failed)
		return sg_errf(err, SG_EENV, "%s", s->save_err.msg);
	if (s->power_cut || !n)
		return SG_OK;
	if (answer(s, t, out, n, &gone) != SG_OK)
		return -1;
	if (sgp_agent_reset_due(&s->agent))
		return load_unit(s, s->unit + 1 < s->o.units ? s->unit + 1 : s->unit, err);
	return SG_OK;
}

int sg_sim_serve(struct sg_sim *s, struct sg_transport *t, volatile sig_atomic_t *stop,
		 struct sg_err *err)
{
	uint8_t buf[256];
	struct sg_err gone;

	while (!*stop) {
		size_t got = 0;
		int rc;

		if (sg_transport_read(t, buf, sizeof buf, 100, &got, &gone) != SG_OK)
			return SG_OK; /* the station went away */
		pace(s, got);
		got = garble(s, buf, got);
		for (size_t i = 0; i < got; i++) {
			if ((rc = byte_in(s, t, buf[i], err)) != SG_OK)
				return rc < 0 ? SG_OK : rc;
			if (s->power_cut) {
				/* power comes back: what the file holds, a fresh agent;
				 * the cut came once, the next changes are kept */
				long changes = s->changes;
				rc = load_unit(s, s->unit, err);
				s->changes = changes;
				return rc;
			}
		}
	}
	return SG_OK;
}
