/* libsignet: every public header of the host library in one.
 *
 *   cc prog.c $(pkg-config --cflags --libs signet)
 *
 * Layers, lowest first (docs/design.md, "Layers"): common (err.h, num.h,
 * fileio.h, atomic_file.h, base64.h), the device verifier (verifier.h,
 * envelope_format.h; also installed alone as libsignet-verifier), the device
 * protocol codec and agent (protocol.h, agent.h), formats (input.h,
 * envelope.h, sbom.h, mcuboot.h, request.h), hsm.h, pki (pki.h,
 * pki_batch.h), sign (sign.h, verify.h, chain.h, mcuboot_sign.h), the audit
 * ledger (ledger.h, merkle.h, ledger_record.h, checkpoint.h, ledger_proof.h,
 * ledger_audit.h, ledger_tiles.h), provisioning (transport.h, device.h,
 * sim.h, target.h). Every function is prefixed sg_ (sgv_ in the device
 * verifier, sgp_ in the device protocol). */
#ifndef SIGNET_SIGNET_H
#define SIGNET_SIGNET_H

#include "signet/err.h"
#include "signet/base64.h"
#include "signet/num.h"
#include "signet/fileio.h"
#include "signet/atomic_file.h"
#include "signet/verifier.h"
#include "signet/envelope_format.h"
#include "signet/protocol.h"
#include "signet/agent.h"
#include "signet/input.h"
#include "signet/envelope.h"
#include "signet/sbom.h"
#include "signet/mcuboot.h"
#include "signet/request.h"
#include "signet/hsm.h"
#include "signet/pki.h"
#include "signet/pki_batch.h"
#include "signet/sign.h"
#include "signet/verify.h"
#include "signet/chain.h"
#include "signet/mcuboot_sign.h"
#include "signet/ledger.h"
#include "signet/merkle.h"
#include "signet/ledger_record.h"
#include "signet/checkpoint.h"
#include "signet/ledger_proof.h"
#include "signet/ledger_audit.h"
#include "signet/ledger_tiles.h"
#include "signet/transport.h"
#include "signet/device.h"
#include "signet/sim.h"
#include "signet/target.h"

#endif
