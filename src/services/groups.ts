import { DomainError, invalid, notFound, type FieldError } from '../domain/errors.js';
import { TAX_SYSTEMS, VAT_RATES } from '../domain/enums.js';
import { isMarkingPolicy, MARKING_POLICIES } from '../domain/ffd12.js';
import type { ArchiveCloseDocument, DriverFactory } from '../devices/driver.js';
import type { DriverRegistry } from '../devices/registry.js';
import type { DeviceRecord, DeviceRepository } from '../storage/devices.js';
import type { GroupRepository, GroupSettings } from '../storage/groups.js';
import type { OrphanRepository } from '../storage/orphans.js';
import type { ReceiptRepository } from '../storage/receipts.js';
import type { StatsRepository } from '../storage/stats.js';
import type { UserRepository } from '../storage/users.js';
import { requireGroupAccess } from './access.js';
import { requireSuperuser, type Actor } from './actor.js';
import type { Auditor } from './auditor.js';
import { jobResultOf, type JobOutcome } from './device-operations.js';
import { requireDriver, validateDriverConfig } from './driver-config.js';
import { POOL_POLICY_LIMITS, DEFAULT_POOL_POLICY, type PoolPolicy } from '../domain/pool.js';
import { checkCallbackUrl, type DestinationPolicy } from '../callbacks/destination.js';

export type GroupRecord = NonNullable<Awaited<ReturnType<GroupRepository['get']>>>;

export interface GroupServiceDeps {
  groups: GroupRepository;
  devices: DeviceRepository;
  users: Pick<UserRepository, 'findById'>;
  receipts: Pick<ReceiptRepository, 'last' | 'queueLength' | 'poolCounts' | 'openOnDevice'>;
  stats: Pick<StatsRepository, 'receiptCountOfGroup'>;
  /** Fiscal documents in an FN that no receipt owns (the journal reconciliation's findings). */
  orphans: Pick<OrphanRepository, 'openCounts'>;
  registry: DriverRegistry;
  /** Starts/stops the group's device workers after running/enabled/pool changes (WorkerManager.reconcile of that group only). */
  reconcile: (groupId: number) => Promise<void>;
  /**
   * Restarts the group's device workers (or one register's) so they drive the devices with their
   * new settings. One operation: the group stays `running` in the database throughout, so a crash
   * in the middle leaves it running (and the next reconcile starts the worker), never stopped.
   */
  restartWorker: (groupId: number, deviceId?: number) => Promise<void>;
  /** Wakes the group's workers (a register's service changed: routing applies at once). */
  notify: (groupId: number) => void;
  /** Whether this node drives the group's device and it takes injected faults (virtual registers). */
  faultsAvailable: (groupId: number) => boolean;
  /**
   * Closes a register's FN archive through its worker's job queue (DeviceOperations.closeArchive):
   * the lease fencing and the in-doubt rules of every device job apply.
   */
  closeArchiveJob: (actor: Actor, groupId: number, deviceId: number) => Promise<JobOutcome>;
  /** Where callbacks may go (CR_CALLBACK_ALLOW): a group's events_url follows a receipt's callback_url rules. */
  callbackPolicy: DestinationPolicy;
  audit: Auditor;
  now: () => number;
}

/** A register of the pool with what the pool view shows of its traffic. */
export interface RegisterState {
  device: DeviceRecord;
  /** Receipts it holds unfinished (processing or in doubt: pinned to it). */
  open: number;
  /** Receipts it fiscalized in the last hour, and their share of the pool's. */
  recent: number;
  share: number;
}

/** The window of the pool view's share of traffic. */
export const SHARE_WINDOW_MS = 3_600_000;

/** What a group's views are made of: the group, its registers, its queue and what needs attention. */
export interface GroupState {
  group: GroupRecord;
  /** The first register not retired (receipts are validated against its registration). */
  device: DeviceRecord | null;
  /** Every register of the pool, retired ones included (receipts name them), first first. */
  registers: RegisterState[];
  queueLength: number;
  lastReceiptAt: number | null;
  orphanDocuments: number;
}

export type GroupStatus = 'running' | 'stopped' | 'disabled' | 'error';

/** The one state a group is shown in: disabled wins over stopped, stopped over a device error. */
export function groupStatus(st: { group: GroupRecord; device: DeviceRecord | null }): GroupStatus {
  if (!st.group.enabled) return 'disabled';
  if (!st.group.running) return 'stopped';
  return st.device?.state === 'error' ? 'error' : 'running';
}

/** GroupState plus what only superusers see: the access list, the driver and the fault panel. */
export interface GroupAdminState extends GroupState {
  access: number[];
  factory: DriverFactory | null;
  faultsAvailable: boolean;
}

export interface GroupInput {
  name: string;
  driver: string;
  /** Device settings; checked against the driver's config schema. */
  config: object;
  default_tax_system: number | null;
  default_vat: number | null;
  auto_open_shift: boolean;
  shift_duration: number;
  daily_close_time: string | null;
  /** A MarkingPolicy; absent on create: 'offline_allowed'. */
  marking_policy?: string;
  enabled?: boolean;
  /** The ATOL Online group code (docs/atol-online.md); '' or null: none. */
  group_code?: string | null;
  /** The pool's health thresholds (docs/pools.md); fields left out keep their value. */
  pool_policy?: Partial<Record<keyof PoolPolicy, number>>;
  /** Where the group's register events are POSTed (docs/api.md "Register events"); '' or null: none. */
  events_url?: string | null;
}

/** The report on closing a register's FN, as the admin API answers it. */
export interface ArchiveClose {
  register_id: number;
  /** 1040 */
  fd_number: number;
  /** 1077 */
  fiscal_sign: string;
  /** 1012 */
  date_time: string;
  /** 1041 of the FN closed, as the pool last read it */
  fn_serial: string | null;
}

// What the worker's job runner stores for a close_archive job: the driver's answer as it was.
const isArchiveCloseDocument = (v: unknown): v is ArchiveCloseDocument =>
  typeof v === 'object' && v !== null && 'fdNumber' in v && typeof v.fdNumber === 'number' && 'fiscalSign' in v && typeof v.fiscalSign === 'string'
  && 'dateTime' in v && typeof v.dateTime === 'string';

/** Adding a register to a pool, or changing its settings. */
export interface RegisterInput {
  driver: string;
  config: object;
}

const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
/** An ATOL Online group code: a path segment ATOL clients send as it is (e.g. v4-online-atol-ru_4179). */
export const GROUP_CODE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** The stored form of a group code: trimmed, '' → null (no code). */
const groupCodeOf = (code: string | null | undefined): string | null | undefined => (code === undefined ? undefined : code === null || code.trim() === '' ? null : code.trim());
// Config values never sent back to the browser; an empty value on update keeps the stored one.
export const isSecret = (key: string) => /password|secret|token/i.test(key);
export const withoutSecrets = (config: Record<string, unknown>) => Object.fromEntries(Object.entries(config).filter(([k]) => !isSecret(k)));

/**
 * The group's settings from the input, checked (one 400 naming every field in error). `eventsUrl`:
 * the checked events_url — null to clear it, undefined when not submitted; whose key signs the
 * events is the caller's decision (it knows the stored URL and the actor).
 */
function settingsOf(input: Partial<GroupInput>, policy: DestinationPolicy): Partial<GroupSettings> & { eventsUrl?: string | null } {
  const errors: FieldError[] = [];
  let eventsUrl: string | null | undefined;
  if (input.events_url !== undefined) {
    // The rules of a receipt's callback_url, the same allow-list; the 400 names events_url.
    const checked = input.events_url === null || input.events_url.trim() === '' ? { url: null } : checkCallbackUrl(input.events_url, policy, 'events_url');
    if ('error' in checked) errors.push(...checked.error.errors);
    else eventsUrl = checked.url;
  }
  if (input.name !== undefined && (input.name.trim().length === 0 || input.name.length > 128)) {
    errors.push({ field: 'name', code: 'invalid_length', message: 'The name must have 1 to 128 characters' });
  }
  if (input.default_tax_system != null && !(input.default_tax_system in TAX_SYSTEMS)) {
    errors.push({ field: 'default_tax_system', code: 'invalid_value', message: 'Unknown taxation system (1, 2, 4, 8, 16 or 32)' });
  }
  if (input.default_vat != null && !(input.default_vat in VAT_RATES)) {
    errors.push({ field: 'default_vat', code: 'invalid_value', message: 'Unknown VAT rate (tag 1199 code 1–12)' });
  }
  if (input.shift_duration !== undefined && !(Number.isInteger(input.shift_duration) && input.shift_duration >= 1 && input.shift_duration <= 1440)) {
    errors.push({ field: 'shift_duration', code: 'out_of_range', message: 'The shift duration must be 1 to 1440 minutes (the FN closes a shift after 24 h)' });
  }
  if (input.daily_close_time != null && !TIME_RE.test(input.daily_close_time)) {
    errors.push({ field: 'daily_close_time', code: 'invalid_format', message: 'The daily close time must be HH:MM' });
  }
  if (input.marking_policy !== undefined && !isMarkingPolicy(input.marking_policy)) {
    errors.push({ field: 'marking_policy', code: 'invalid_value', message: `The marking policy must be one of ${MARKING_POLICIES.join(', ')}` });
  }
  const groupCode = groupCodeOf(input.group_code);
  if (typeof groupCode === 'string' && !GROUP_CODE_RE.test(groupCode)) {
    errors.push({ field: 'group_code', code: 'invalid_format', message: 'The group code must be 1 to 64 Latin letters, digits and _ . - (starting with a letter or digit)' });
  }
  if (input.pool_policy !== undefined) {
    for (const [key, value] of Object.entries(input.pool_policy)) {
      const limits = (POOL_POLICY_LIMITS as Partial<Record<string, readonly [number, number]>>)[key];
      if (!limits) errors.push({ field: `pool_policy.${key}`, code: 'unknown_field', message: `pool_policy has no setting ${key} (${Object.keys(DEFAULT_POOL_POLICY).join(', ')})` });
      else if (!(Number.isInteger(value) && value >= limits[0] && value <= limits[1])) {
        errors.push({ field: `pool_policy.${key}`, code: 'out_of_range', message: `pool_policy.${key} must be an integer from ${limits[0]} to ${limits[1]}` });
      }
    }
  }
  if (errors.length > 0) throw new DomainError('invalid', errors);
  return {
    ...(input.name !== undefined ? { name: input.name.trim() } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    ...(input.default_tax_system !== undefined ? { defaultTaxSystem: input.default_tax_system } : {}),
    ...(input.default_vat !== undefined ? { defaultVat: input.default_vat } : {}),
    ...(input.auto_open_shift !== undefined ? { autoOpenShift: input.auto_open_shift } : {}),
    ...(input.shift_duration !== undefined ? { shiftDurationMin: input.shift_duration } : {}),
    ...(input.daily_close_time !== undefined ? { dailyCloseTime: input.daily_close_time === '' ? null : input.daily_close_time } : {}),
    ...(isMarkingPolicy(input.marking_policy) ? { markingPolicy: input.marking_policy } : {}),
    ...(groupCode !== undefined ? { groupCode } : {}),
    ...(eventsUrl !== undefined ? { eventsUrl } : {}),
  };
}

/**
 * The stored events setting after a submitted events_url: the signer is the superuser who set the
 * current URL. Saving the group form again with the same URL (the dashboard sends every field)
 * keeps the signer; a new URL, or the same one while its signer has been deleted, makes the actor
 * the signer. undefined: unchanged.
 */
function eventsSetting(submitted: string | null | undefined, stored: { url: string | null; userId: number | null }, actorId: number): GroupSettings['events'] {
  if (submitted === undefined) return undefined;
  if (submitted === null) return null;
  if (submitted === stored.url && stored.userId !== null) return undefined;
  return { url: submitted, userId: actorId };
}

/** The stored thresholds with the submitted ones over them. */
const mergedPolicy = (current: PoolPolicy, submitted: Partial<Record<keyof PoolPolicy, number>> | undefined): PoolPolicy | undefined =>
  submitted === undefined ? undefined : { ...current, ...submitted };

/**
 * Service groups: reading them (any user, for the groups they may use), and for superusers their
 * CRUD, device settings, access list, enable/disable and «Пуск»/«Стоп». Every change is audited.
 */
export function createGroupService(deps: GroupServiceDeps) {
  async function mustGet(id: number): Promise<GroupRecord> {
    const g = await deps.groups.get(id);
    if (!g) throw notFound('service_group_not_found', `Service group ${id} does not exist`);
    return g;
  }

  /** 409 group_code_taken when another group holds the ATOL Online group code (docs/atol-online.md). */
  async function requireFreeGroupCode(code: string | null | undefined, ownId: number | null): Promise<void> {
    if (typeof code !== 'string') return;
    const holder = await deps.groups.findByGroupCode(code);
    if (holder && holder.id !== ownId) {
      throw new DomainError('conflict', { field: 'group_code', code: 'group_code_taken', message: `The group code "${code}" is used by service group ${holder.id}` });
    }
  }
  /** A write that can lose a race for the group code on its unique index answers the same 409 as the check before it. */
  async function claimingGroupCode<T>(code: string | null | undefined, ownId: number | null, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      await requireFreeGroupCode(code, ownId);
      throw e;
    }
  }

  async function stateOf(g: GroupRecord): Promise<GroupState> {
    const [devices, counts, last, queueLength, orphans] = await Promise.all([
      deps.devices.listOf(g.id),
      deps.receipts.poolCounts(g.id, deps.now() - SHARE_WINDOW_MS),
      deps.receipts.last(g.id),
      deps.receipts.queueLength(g.id),
      deps.orphans.openCounts(),
    ]);
    const total = [...counts.values()].reduce((n, c) => n + c.recent, 0);
    const registers = devices.map((device) => {
      const c = counts.get(device.id) ?? { open: 0, recent: 0 };
      return { device, open: c.open, recent: c.recent, share: total === 0 ? 0 : c.recent / total };
    });
    const device = devices.find((d) => d.service !== 'retired') ?? null;
    return { group: g, device, registers, queueLength, lastReceiptAt: last?.created_at ?? null, orphanDocuments: orphans.get(g.id) ?? 0 };
  }

  /** The register of the group (404 register_not_found otherwise). */
  async function registerOf(groupId: number, deviceId: number): Promise<DeviceRecord> {
    const d = await deps.devices.get(deviceId);
    if (!d || d.group_id !== groupId) throw notFound('register_not_found', `Register ${deviceId} is not in service group ${groupId}`);
    return d;
  }

  /** A driver and its settings, secrets left empty on update kept from the stored ones. */
  function deviceSettings(input: Partial<RegisterInput>, stored: DeviceRecord | null): { driver: string; config: Record<string, unknown> } {
    const factory = requireDriver(deps.registry, input.driver ?? stored?.driver ?? '');
    const old = stored && factory.model === stored.driver ? stored.config : {};
    const submitted = Object.fromEntries(Object.entries(input.config ?? {}).filter(([k, v]) => !(isSecret(k) && (v === '' || v === null))));
    const kept = Object.fromEntries(Object.entries(old).filter(([k]) => isSecret(k)));
    return { driver: factory.model, config: validateDriverConfig(factory, { ...kept, ...(input.config === undefined ? old : submitted) }) };
  }

  async function adminStateOf(g: GroupRecord): Promise<GroupAdminState> {
    const base = await stateOf(g);
    return {
      ...base,
      access: await deps.groups.accessList(g.id),
      factory: base.device ? (deps.registry.get(base.device.driver) ?? null) : null,
      faultsAvailable: deps.faultsAvailable(g.id),
    };
  }

  async function admin(actor: Actor, id: number): Promise<GroupRecord> {
    requireSuperuser(actor);
    return mustGet(id);
  }

  /**
   * A register ready for work on its FN (closing the archive, replacing the FN): in the pool, in
   * maintenance, holding no unfinished receipt (they are pinned to it until its FN answers), its
   * shift closed as its worker last read it. 409 register_retired, register_not_drained, shift_open.
   */
  async function fnWorkReady(id: number, deviceId: number, what: string): Promise<DeviceRecord> {
    const device = await registerOf(id, deviceId);
    if (device.service === 'retired') throw new DomainError('conflict', { code: 'register_retired', message: `Register ${deviceId} has already left the pool` });
    if (device.service !== 'maintenance') throw new DomainError('conflict', { code: 'register_not_drained', message: 'Put the register in maintenance first' });
    const open = await deps.receipts.openOnDevice(id, deviceId);
    if (open > 0) throw new DomainError('conflict', { code: 'register_not_drained', message: `${open} receipt(s) are processing or in doubt on the register; they stay with it until its FN answers` });
    if (device.status && device.status.shift.state !== 'closed') {
      throw new DomainError('conflict', { code: 'shift_open', message: `Close the shift of register ${deviceId} before ${what}` });
    }
    return device;
  }

  return {
    /** The groups the actor may use (all of them for a superuser), with their device. */
    async list(actor: Actor): Promise<{ group: GroupRecord; device: DeviceRecord | null }[]> {
      const rows = actor.isSuperuser ? await deps.groups.list() : await deps.groups.listForUser(actor.id);
      return Promise.all(rows.map(async (group) => ({ group, device: (await deps.devices.deviceOf(group.id)) ?? null })));
    },

    /** Group state with the device status its worker last read: 404, then 403. */
    async get(actor: Actor, id: number): Promise<GroupState> {
      return stateOf(await requireGroupAccess(deps.groups, actor, id));
    },

    /** Every group with what the dashboard shows (superuser). */
    async listAdmin(actor: Actor): Promise<GroupAdminState[]> {
      requireSuperuser(actor);
      return Promise.all((await deps.groups.list()).map(adminStateOf));
    },

    async getAdmin(actor: Actor, id: number): Promise<GroupAdminState> {
      return adminStateOf(await admin(actor, id));
    },

    /** The device drivers and their config schemas (the dashboard renders the form from them). */
    drivers(actor: Actor): readonly DriverFactory[] {
      requireSuperuser(actor);
      return deps.registry.list();
    },

    async create(actor: Actor, input: GroupInput): Promise<GroupAdminState> {
      requireSuperuser(actor);
      const factory = requireDriver(deps.registry, input.driver);
      const { eventsUrl, ...settings } = settingsOf(input, deps.callbackPolicy);
      const events = eventsSetting(eventsUrl, { url: null, userId: null }, actor.id);
      const config = validateDriverConfig(factory, input.config);
      await requireFreeGroupCode(settings.groupCode, null);
      const { group } = await claimingGroupCode(settings.groupCode, null, () => deps.groups.create(
        {
          name: settings.name ?? '',
          enabled: input.enabled ?? true,
          defaultTaxSystem: input.default_tax_system,
          defaultVat: input.default_vat,
          autoOpenShift: input.auto_open_shift,
          shiftDurationMin: input.shift_duration,
          dailyCloseTime: settings.dailyCloseTime ?? null,
          markingPolicy: settings.markingPolicy ?? 'offline_allowed',
          groupCode: settings.groupCode ?? null,
          ...(input.pool_policy ? { poolPolicy: { ...DEFAULT_POOL_POLICY, ...input.pool_policy } } : {}),
          ...(events ? { events } : {}),
        },
        { driver: factory.model, config },
        deps.now(),
      ));
      await deps.audit.write(actor, 'service_group.create', `service_group:${group.id}`, {
        name: group.name, driver: factory.model, config: withoutSecrets(config), marking_policy: group.marking_policy, group_code: group.group_code,
        events_url: group.events_url, events_user_id: group.events_user_id,
      });
      return adminStateOf(group);
    },

    /** Settings, device settings (a running worker restarts with them) or enable/disable. */
    async update(actor: Actor, id: number, input: Partial<GroupInput>): Promise<GroupAdminState> {
      const g = await admin(actor, id);
      const { eventsUrl, ...settings } = settingsOf(input, deps.callbackPolicy);
      const events = eventsSetting(eventsUrl, { url: g.events_url, userId: g.events_user_id }, actor.id);
      await requireFreeGroupCode(settings.groupCode, id);
      const device = await deps.devices.deviceOf(id);
      let deviceChanged = false;
      if (device && (input.config !== undefined || (input.driver !== undefined && input.driver !== device.driver))) {
        await deps.devices.updateDevice(device.id, deviceSettings(input, device), deps.now());
        deviceChanged = true;
      }
      const poolPolicy = mergedPolicy(g.pool_policy, input.pool_policy);
      const row = await claimingGroupCode(settings.groupCode, id, () => deps.groups.update(id, { ...settings, ...(poolPolicy ? { poolPolicy } : {}), ...(events !== undefined ? { events } : {}) }, deps.now()));
      if (!row) throw notFound('service_group_not_found', `Service group ${id} does not exist`);
      if (deviceChanged && row.running && device) await deps.restartWorker(id, device.id);
      else if (settings.enabled !== undefined && settings.enabled !== g.enabled) await deps.reconcile(id);
      const { config: _c, ...rest } = input;
      await deps.audit.write(actor, 'service_group.update', `service_group:${id}`, {
        ...rest,
        device_changed: deviceChanged,
        // Whose callback secret signs the group's events from now on (docs/api.md "Register events").
        ...(events !== undefined ? { events_user_id: events?.userId ?? null } : {}),
      });
      return adminStateOf(row);
    },

    /** «Пуск»/«Стоп». Stopping lets the worker finish the operation in hand (reconcile waits for it). */
    async setRunning(actor: Actor, id: number, running: boolean): Promise<GroupAdminState> {
      const g = await admin(actor, id);
      if (running && !g.enabled) throw new DomainError('conflict', { code: 'service_group_disabled', message: 'Enable the service group before starting it' });
      await deps.groups.setRunning(id, running, deps.now());
      await deps.reconcile(id);
      await deps.audit.write(actor, running ? 'service_group.start' : 'service_group.stop', `service_group:${id}`);
      return adminStateOf(await mustGet(id));
    },

    /** A register joins the pool (in service at once; driven when the group runs). */
    async addRegister(actor: Actor, id: number, input: RegisterInput): Promise<GroupAdminState> {
      const g = await admin(actor, id);
      const settings = deviceSettings(input, null);
      const device = await deps.devices.add(id, settings, deps.now());
      if (g.running && g.enabled) await deps.reconcile(id);
      await deps.audit.write(actor, 'service_group.register_add', `service_group:${id}`, { device: device.id, driver: settings.driver, config: withoutSecrets(settings.config) });
      return adminStateOf(await mustGet(id));
    },

    /** A register's driver settings (its worker restarts with them) or its service: active or maintenance («обслуживание»). */
    async updateRegister(actor: Actor, id: number, deviceId: number, input: Partial<RegisterInput> & { service?: 'active' | 'maintenance' }): Promise<GroupAdminState> {
      const g = await admin(actor, id);
      const device = await registerOf(id, deviceId);
      if (device.service === 'retired') throw new DomainError('conflict', { code: 'register_retired', message: `Register ${deviceId} has left the pool` });
      const changes: Record<string, unknown> = {};
      if (input.config !== undefined || (input.driver !== undefined && input.driver !== device.driver)) {
        const settings = deviceSettings(input, device);
        await deps.devices.updateDevice(deviceId, settings, deps.now());
        changes.driver = settings.driver;
        changes.config = withoutSecrets(settings.config);
        if (g.running) await deps.restartWorker(id, deviceId);
      }
      if (input.service !== undefined && input.service !== device.service) {
        if (input.service === 'maintenance') {
          const active = (await deps.devices.listOf(id)).filter((d) => d.service === 'active' && d.id !== deviceId);
          // A pool may be left without an active register (the shop replaces its only FN): its
          // receipts then wait in the queue. That is the admin's call, made visible in the audit.
          changes.pool_left_without_active_register = active.length === 0;
        }
        await deps.devices.setService(deviceId, input.service, deps.now());
        changes.service = input.service;
        deps.notify(id);
      }
      await deps.audit.write(actor, 'service_group.register_update', `service_group:${id}`, { device: deviceId, ...changes });
      return adminStateOf(await mustGet(id));
    },

    /**
     * A register leaves the pool: it must be in maintenance and hold no unfinished receipt (they are
     * pinned to it until its FN answers), and the pool keeps another register. A register that
     * receipts or found FN documents name is retired (kept, no longer driven); one without history
     * is deleted.
     */
    async removeRegister(actor: Actor, id: number, deviceId: number): Promise<{ state: GroupAdminState; retired: boolean }> {
      await admin(actor, id);
      const device = await registerOf(id, deviceId);
      if (device.service === 'retired') throw new DomainError('conflict', { code: 'register_retired', message: `Register ${deviceId} has already left the pool` });
      if (device.service !== 'maintenance') throw new DomainError('conflict', { code: 'register_not_drained', message: 'Put the register in maintenance first' });
      const open = await deps.receipts.openOnDevice(id, deviceId);
      if (open > 0) throw new DomainError('conflict', { code: 'register_not_drained', message: `${open} receipt(s) are processing or in doubt on the register; they stay with it until its FN answers` });
      const others = (await deps.devices.listOf(id)).filter((d) => d.service !== 'retired' && d.id !== deviceId);
      if (others.length === 0) throw new DomainError('conflict', { code: 'last_register', message: 'A service group keeps at least one register; add another first' });
      const retired = await deps.devices.hasHistory(deviceId);
      if (retired) await deps.devices.setService(deviceId, 'retired', deps.now());
      else await deps.devices.remove(deviceId);
      await deps.reconcile(id);
      await deps.audit.write(actor, 'service_group.register_remove', `service_group:${id}`, { device: deviceId, retired });
      return { state: await adminStateOf(await mustGet(id)), retired };
    },

    /**
     * The FN of a register was replaced (the operator's flow, docs/pools.md): the register, drained
     * in maintenance with its shift closed, is retired — its receipts and found documents keep
     * naming the old FN's row — and joins the pool again as a new register with the same driver
     * settings, in maintenance until the admin has seen its new registration (RNM, FN serial) read
     * from the device. FD numbers start over on a new FN; one row per FN keeps the in-doubt
     * matching and the journal check on that FN's documents only.
     */
    async replaceFn(actor: Actor, id: number, deviceId: number): Promise<{ state: GroupAdminState; replacement: number }> {
      const g = await admin(actor, id);
      const device = await fnWorkReady(id, deviceId, 'replacing its FN');
      const retired = await deps.devices.hasHistory(deviceId);
      if (retired) await deps.devices.setService(deviceId, 'retired', deps.now());
      else await deps.devices.remove(deviceId);
      // The old row's worker stops (after its operation in hand) before the new one may start: one device, one driver.
      await deps.reconcile(id);
      const next = await deps.devices.add(id, { driver: device.driver, config: device.config }, deps.now(), 'maintenance');
      if (g.running && g.enabled) await deps.reconcile(id);
      await deps.audit.write(actor, 'service_group.register_fn_replaced', `service_group:${id}`, {
        device: deviceId, replacement: next.id, retired, fn_serial_before: device.registration?.fnSerial ?? null,
      });
      return { state: await adminStateOf(await mustGet(id)), replacement: next.id };
    },

    /**
     * Closes the FN archive of a register (the step before replacing its FN, docs/pools.md): under
     * the same conditions as «ФН заменён» — in maintenance, drained, shift closed — on a register
     * whose driver can (409 close_archive_not_supported otherwise). The report on closing the FN
     * (document 6) is made by the register's worker between its other work, like any device job;
     * afterwards the FN takes no fiscal document and the register is unavailable until «ФН заменён».
     * Audited with the job's outcome, whatever it is.
     */
    async closeArchive(actor: Actor, id: number, deviceId: number): Promise<{ state: GroupAdminState; document: ArchiveClose }> {
      await admin(actor, id);
      const registered = await registerOf(id, deviceId);
      if (registered.service !== 'retired' && deps.registry.get(registered.driver)?.capabilities?.closeArchive !== true) {
        throw new DomainError('conflict', { code: 'close_archive_not_supported', message: `The ${registered.driver} driver of register ${deviceId} cannot close the FN archive; close it with the vendor's tool` });
      }
      const device = await fnWorkReady(id, deviceId, 'closing its FN archive');
      const fnSerial = device.registration?.fnSerial ?? device.status?.fn.serial ?? null;
      const job = await deps.closeArchiveJob(actor, id, deviceId);
      const doc = job.state === 'success' && isArchiveCloseDocument(job.result) ? job.result : null;
      await deps.audit.write(actor, 'service_group.register_fn_archive_closed', `service_group:${id}`, {
        device: deviceId, job: job.id, state: job.state, fn_serial: fnSerial, ...(doc ? { fd_number: doc.fdNumber, fiscal_sign: doc.fiscalSign } : {}),
      });
      const result = jobResultOf(job);
      if (!isArchiveCloseDocument(result)) throw new DomainError('unavailable', { code: 'device_error', message: 'The device answered the archive close with something unexpected' });
      return {
        state: await adminStateOf(await mustGet(id)),
        document: { register_id: deviceId, fd_number: result.fdNumber, fiscal_sign: result.fiscalSign, date_time: result.dateTime, fn_serial: fnSerial },
      };
    },

    async setAccess(actor: Actor, id: number, userIds: readonly number[]): Promise<number[]> {
      await admin(actor, id);
      const unique = [...new Set(userIds)];
      for (const uid of unique) {
        if (!(await deps.users.findById(uid))) throw invalid('user_ids', 'user_not_found', `User ${uid} does not exist`);
      }
      const before = await deps.groups.accessList(id);
      await deps.groups.setAccess(id, unique);
      await deps.audit.write(actor, 'service_group.access', `service_group:${id}`, { before, after: unique });
      return deps.groups.accessList(id);
    },

    /**
     * Receipts in the queue belong to the group's device; fiscalized ones are the fiscal record and
     * reference the group — both forbid deletion (disable the group instead).
     */
    async delete(actor: Actor, id: number): Promise<void> {
      const g = await admin(actor, id);
      const active = await deps.receipts.queueLength(id);
      if (active > 0) {
        throw new DomainError('conflict', { code: 'receipts_in_progress', message: `${active} receipt(s) are pending, processing or in doubt; wait until they are final` });
      }
      const total = await deps.stats.receiptCountOfGroup(id);
      if (total > 0) {
        throw new DomainError('conflict', { code: 'group_has_receipts', message: `The service group has ${total} receipt(s) and cannot be deleted; disable it instead` });
      }
      if (g.running) {
        await deps.groups.setRunning(id, false, deps.now());
        await deps.reconcile(id);
      }
      try {
        await deps.groups.delete(id);
      } catch (e) {
        if ((await deps.stats.receiptCountOfGroup(id)) > 0) {
          throw new DomainError('conflict', { code: 'receipts_in_progress', message: 'A receipt arrived meanwhile; try again when it is final' });
        }
        throw e;
      }
      await deps.reconcile(id);
      await deps.audit.write(actor, 'service_group.delete', `service_group:${id}`, { name: g.name });
    },
  };
}
export type GroupService = ReturnType<typeof createGroupService>;
