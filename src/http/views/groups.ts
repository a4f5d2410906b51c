import type { DeviceRecord } from '../../storage/devices.js';
import { groupStatus, withoutSecrets, type GroupAdminState, type GroupRecord, type GroupState, type RegisterState } from '../../services/groups.js';

const iso = (ms: number | null | undefined) => (ms ? new Date(Number(ms)).toISOString() : null);

/** A group in lists (GET /service_groups/). */
export function groupSummary(g: GroupRecord, device: DeviceRecord | null) {
  const state = groupStatus({ group: g, device });
  return {
    id: g.id,
    name: g.name,
    enabled: g.enabled,
    running: g.running,
    device_model: device?.driver ?? null,
    state,
    state_reason: device?.state === 'error' ? device.state_reason : null,
  };
}

/** What a register's worker last read from it: registration, shift, FN, OFD, paper, marking. */
export function deviceView(device: DeviceRecord, now: number) {
  const registration = device.registration;
  const status = device.status;
  const openedAt = status?.shift.openedAt ? Date.parse(status.shift.openedAt) : null;
  return {
    id: device.id,
    model: device.driver,
    state: device.state,
    state_reason: device.state_reason,
    online: device.state === 'running' && status !== null,
    status_at: iso(device.status_at),
    registration: registration && {
      registration_number: registration.registrationNumber,
      registrator_serial: registration.registratorSerial,
      fn_serial: registration.fnSerial,
      ffd_version: registration.ffdVersion,
      company_name: registration.companyName,
      company_inn: registration.companyInn,
      ofd_name: registration.ofdName,
      ofd_inn: registration.ofdInn,
      operations_address: registration.operationsAddress,
      operations_place: registration.operationsPlace,
      tax_systems: registration.taxSystems,
      // null: the driver cannot read 1001 from this register.
      automatic_mode: registration.automaticMode ?? null,
      model: registration.model,
    },
    shift: status && {
      state: status.shift.state,
      number: status.shift.number,
      opened_at: status.shift.openedAt,
      expires_at: status.shift.expiresAt,
      age_seconds: openedAt !== null && status.shift.state !== 'closed' ? Math.max(0, Math.floor((now - openedAt) / 1000)) : null,
      receipts_in_shift: status.shift.receiptsInShift,
    },
    last_fd_number: status?.lastFdNumber ?? null,
    fn: status && {
      serial: status.fn.serial,
      ffd_version: status.fn.ffdVersion,
      phase: status.fn.phase,
      expires_at: status.fn.expiresAt,
      memory_used: status.fn.memoryUsed,
    },
    ofd: status && { unsent_count: status.ofd.unsentCount, oldest_unsent_at: status.ofd.oldestUnsentAt },
    paper_present: status?.paperPresent ?? null,
    warnings: status?.warnings ?? [],
    // The FN's marking work (FN-M notifications 82, tag 2104): null when the register has no
    // marking or its worker has not read the state.
    marking: status?.marking
      ? {
          blocked: status.marking.blocked,
          unconfirmed_notifications: status.marking.unconfirmedNotifications,
          oldest_unconfirmed_at: status.marking.oldestUnconfirmedAt,
        }
      : null,
  };
}

const isoDate = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A register of the pool: the device view plus its place in the pool, health, FN forecast and traffic (docs/pools.md). */
export function registerView(r: RegisterState, now: number) {
  const { device } = r;
  const h = device.health;
  return {
    ...deviceView(device, now),
    service: device.service,
    health: h && {
      level: h.level,
      reasons: h.reasons,
      at: isoDate(h.at),
    },
    forecast: h && {
      fn_expires_at: isoDate(h.forecast.expiresAt),
      archive_full_at: isoDate(h.forecast.archiveFullAt),
      ofd_block_at: isoDate(h.forecast.ofdBlockAt),
      fill_rate_since: isoDate(h.forecast.sample?.at ?? null),
      warning: h.warning && { what: h.warning.what, at: isoDate(h.warning.at) },
    },
    // Unfinished receipts it holds (pinned to it until its FN answers) and its share of the pool's last hour.
    queue: r.open,
    receipts_last_hour: r.recent,
    share: Math.round(r.share * 1000) / 1000,
  };
}

/** Group state with the status of every register last read by its worker (api.md "Service group operations"). */
export function groupView(st: GroupState, now: number) {
  const { group: g, device } = st;
  return {
    ...groupSummary(g, device),
    settings: {
      default_tax_system: g.default_tax_system,
      default_vat: g.default_vat,
      auto_open_shift: g.auto_open_shift,
      shift_duration: g.shift_duration_min,
      daily_close_time: g.daily_close_time,
      marking_policy: g.marking_policy,
      // The ATOL Online group code (docs/atol-online.md); null: not reachable through /possystem.
      group_code: g.group_code,
      pool_policy: g.pool_policy,
      // Register events (docs/api.md "Register events"): where they go, and the user whose callback secret signs them.
      events_url: g.events_url,
      events_user_id: g.events_url === null ? null : g.events_user_id,
    },
    queue_length: st.queueLength,
    last_receipt_at: iso(st.lastReceiptAt),
    // Unacknowledged receipt documents in the FN journal that no receipt owns: never silent.
    orphan_documents: st.orphanDocuments,
    // The first register in the pool: the one receipts are validated against (and the only one of a one-register group).
    device: device ? deviceView(device, now) : null,
    registers: st.registers.map((r) => registerView(r, now)),
  };
}

/** The dashboard's group: the API view plus the lease, the driver, its settings (no secrets) and the access list. */
export function adminGroupView(st: GroupAdminState, now: number) {
  const base = groupView(st, now);
  const { device, factory } = st;
  const config = device?.config ?? {};
  const modelName = typeof config.device_model === 'string' ? config.device_model
    : base.device?.registration?.model ?? (factory && factory.deviceModels.length === 1 ? factory.deviceModels[0] : null) ?? factory?.title.en ?? device?.driver ?? null;
  return {
    ...base,
    // The scale-out lease: which node drives the device, under which fencing epoch, until when.
    device: base.device && device ? {
      ...base.device,
      lease_owner: device.lease_owner,
      lease_epoch: Number(device.lease_epoch),
      lease_until: device.lease_until === null ? null : new Date(Number(device.lease_until)).toISOString(),
    } : base.device,
    // Each register of the pool with its lease and its driver settings (no secrets).
    registers: base.registers.map((r, i) => {
      const d = st.registers[i]?.device;
      return d ? { ...r, lease_owner: d.lease_owner, lease_epoch: Number(d.lease_epoch), lease_until: d.lease_until === null ? null : new Date(Number(d.lease_until)).toISOString(), config: withoutSecrets(d.config) } : r;
    }),
    driver: device?.driver ?? null,
    driver_title: factory?.title ?? null,
    device_model_name: modelName,
    config: withoutSecrets(config),
    access: st.access,
    faults_available: st.faultsAvailable,
  };
}
