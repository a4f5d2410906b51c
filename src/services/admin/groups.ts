import { DomainError, invalid, notFound, type FieldError } from '../../domain/errors.js';
import { TAX_SYSTEMS, VAT_RATES } from '../../domain/enums.js';
import type { DriverRegistry } from '../../devices/registry.js';
import type { GroupRepository, GroupRow, GroupSettings } from '../../storage/groups.js';
import type { JobKind } from '../../storage/jobs.js';
import type { ReceiptRepository } from '../../storage/receipts.js';
import type { StatsRepository } from '../../storage/stats.js';
import type { UserRepository } from '../../storage/users.js';
import type { GroupService } from '../groups.js';
import type { Actor, Auditor } from './audit-context.js';
import { requireDriver, validateDriverConfig } from './driver-config.js';

export interface GroupAdminDeps {
  groups: GroupRepository;
  users: UserRepository;
  receipts: ReceiptRepository;
  stats: StatsRepository;
  registry: DriverRegistry;
  groupService: GroupService;
  /** Starts/stops device workers after running/enabled changes (WorkerManager.reconcile). */
  reconcile: () => Promise<void>;
  audit: Auditor;
  now: () => number;
  /** Whether this node drives the group's device and it takes injected faults (virtual registers). */
  faultsAvailable?: (groupId: number) => boolean;
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
  enabled?: boolean;
}

const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
// Config values never sent back to the browser; an empty value on update keeps the stored one.
const isSecret = (key: string) => /password|secret|token/i.test(key);

function settingsOf(input: Partial<GroupInput>): Partial<GroupSettings> {
  const errors: FieldError[] = [];
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
  if (errors.length > 0) throw new DomainError('invalid', errors);
  return {
    ...(input.name !== undefined ? { name: input.name.trim() } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    ...(input.default_tax_system !== undefined ? { defaultTaxSystem: input.default_tax_system } : {}),
    ...(input.default_vat !== undefined ? { defaultVat: input.default_vat } : {}),
    ...(input.auto_open_shift !== undefined ? { autoOpenShift: input.auto_open_shift } : {}),
    ...(input.shift_duration !== undefined ? { shiftDurationMin: input.shift_duration } : {}),
    ...(input.daily_close_time !== undefined ? { dailyCloseTime: input.daily_close_time === '' ? null : input.daily_close_time } : {}),
  };
}

/** «Кассовые сервисы»: service groups, their device, access list and the «Пуск»/«Стоп» switch. */
export function createGroupAdmin(deps: GroupAdminDeps) {
  async function mustGet(id: number): Promise<GroupRow> {
    const g = await deps.groups.get(id);
    if (!g) throw notFound('service_group_not_found', `Service group ${id} does not exist`);
    return g;
  }

  async function view(g: GroupRow) {
    const base = await deps.groupService.view(g);
    const device = await deps.groups.deviceOf(g.id);
    const factory = device ? deps.registry.get(device.model) : undefined;
    const config = device ? (JSON.parse(device.config) as Record<string, unknown>) : {};
    const modelName = typeof config.device_model === 'string' ? config.device_model
      : base.device?.registration?.model ?? (factory && factory.deviceModels.length === 1 ? factory.deviceModels[0] : null) ?? factory?.title.en ?? device?.model ?? null;
    return {
      ...base,
      // The scale-out lease: which node drives the device, under which fencing epoch, until when.
      device: base.device && device ? {
        ...base.device,
        lease_owner: device.lease_owner,
        lease_epoch: Number(device.lease_epoch),
        lease_until: device.lease_until === null ? null : new Date(Number(device.lease_until)).toISOString(),
      } : base.device,
      driver: device?.model ?? null,
      driver_title: factory?.title ?? null,
      device_model_name: modelName,
      config: Object.fromEntries(Object.entries(config).filter(([k]) => !isSecret(k))),
      access: await deps.groups.accessList(g.id),
      faults_available: deps.faultsAvailable?.(g.id) ?? false,
    };
  }

  /** Restart the device worker so it picks up new device settings. */
  async function restart(g: GroupRow): Promise<void> {
    if (g.running !== 1) return;
    await deps.groups.setRunning(g.id, false, deps.now());
    await deps.reconcile();
    await deps.groups.setRunning(g.id, true, deps.now());
    await deps.reconcile();
  }

  return {
    view,
    /** The stored row (404 when missing), for services that act on the group. */
    row: mustGet,
    async list() {
      return Promise.all((await deps.groups.list()).map(view));
    },
    async get(id: number) {
      return view(await mustGet(id));
    },
    drivers() {
      return deps.registry.list().map((f) => ({
        model: f.model,
        title: f.title,
        device_models: [...f.deviceModels],
        config_schema: f.configSchema as unknown as Record<string, unknown>,
        defaults: f.defaults(),
      }));
    },

    async create(input: GroupInput, actor: Actor) {
      const factory = requireDriver(deps.registry, input.driver);
      const settings = settingsOf(input);
      const config = validateDriverConfig(factory, input.config);
      const { group } = await deps.groups.create(
        {
          name: settings.name ?? '',
          enabled: input.enabled ?? true,
          defaultTaxSystem: input.default_tax_system,
          defaultVat: input.default_vat,
          autoOpenShift: input.auto_open_shift,
          shiftDurationMin: input.shift_duration,
          dailyCloseTime: settings.dailyCloseTime ?? null,
        },
        { model: factory.model, config },
        deps.now(),
      );
      await deps.audit(actor, 'service_group.create', `service_group:${group.id}`, {
        name: group.name, driver: factory.model, config: Object.fromEntries(Object.entries(config).filter(([k]) => !isSecret(k))),
      });
      return view(group);
    },

    async update(id: number, input: Partial<GroupInput>, actor: Actor) {
      const g = await mustGet(id);
      const settings = settingsOf(input);
      const device = await deps.groups.deviceOf(id);
      let deviceChanged = false;
      if (device && (input.config !== undefined || (input.driver !== undefined && input.driver !== device.model))) {
        const factory = requireDriver(deps.registry, input.driver ?? device.model);
        const old = factory.model === device.model ? (JSON.parse(device.config) as Record<string, unknown>) : {};
        const submitted = Object.fromEntries(Object.entries(input.config ?? {}).filter(([k, v]) => !(isSecret(k) && (v === '' || v === null))));
        const kept = Object.fromEntries(Object.entries(old).filter(([k]) => isSecret(k)));
        const config = validateDriverConfig(factory, { ...kept, ...(input.config === undefined ? old : submitted) });
        await deps.groups.updateDevice(device.id, { model: factory.model, config }, deps.now());
        deviceChanged = true;
      }
      const row = await deps.groups.update(id, settings, deps.now());
      if (!row) throw notFound('service_group_not_found', `Service group ${id} does not exist`);
      if (deviceChanged) await restart(row);
      else if (settings.enabled !== undefined && (settings.enabled ? 1 : 0) !== g.enabled) await deps.reconcile();
      const { config: _c, ...rest } = input;
      await deps.audit(actor, 'service_group.update', `service_group:${id}`, { ...rest, device_changed: deviceChanged });
      return view(row);
    },

    /** «Пуск»/«Стоп». Stopping lets the worker finish the operation in hand (reconcile waits for it). */
    async setRunning(id: number, running: boolean, actor: Actor) {
      const g = await mustGet(id);
      if (running && g.enabled !== 1) throw new DomainError('conflict', { code: 'service_group_disabled', message: 'Enable the service group before starting it' });
      await deps.groups.setRunning(id, running, deps.now());
      await deps.reconcile();
      await deps.audit(actor, running ? 'service_group.start' : 'service_group.stop', `service_group:${id}`);
      return view(await mustGet(id));
    },

    async setAccess(id: number, userIds: readonly number[], actor: Actor) {
      await mustGet(id);
      const unique = [...new Set(userIds)];
      for (const uid of unique) {
        if (!(await deps.users.findById(uid))) throw invalid('user_ids', 'user_not_found', `User ${uid} does not exist`);
      }
      const before = await deps.groups.accessList(id);
      await deps.groups.setAccess(id, unique);
      await deps.audit(actor, 'service_group.access', `service_group:${id}`, { before, after: unique });
      return deps.groups.accessList(id);
    },

    /** Shift open/close and X-report through the group's device queue (GroupService.runJob). */
    async runJob(id: number, kind: JobKind, actor: Actor) {
      const g = await mustGet(id);
      const result = await deps.groupService.runJob(g, { id: actor.userId, login: actor.login, isSuperuser: true }, kind);
      await deps.audit(actor, `service_group.${kind}`, `service_group:${id}`, { job: result.id, state: result.state });
      return result;
    },

    /**
     * Receipts in the queue belong to the group's device; fiscalized ones are the fiscal record and
     * reference the group — both forbid deletion (disable the group instead).
     */
    async delete(id: number, actor: Actor) {
      const g = await mustGet(id);
      const active = await deps.receipts.queueLength(id);
      if (active > 0) {
        throw new DomainError('conflict', { code: 'receipts_in_progress', message: `${active} receipt(s) are pending, processing or in doubt; wait until they are final` });
      }
      const total = await deps.stats.receiptCountOfGroup(id);
      if (total > 0) {
        throw new DomainError('conflict', { code: 'group_has_receipts', message: `The service group has ${total} receipt(s) and cannot be deleted; disable it instead` });
      }
      if (g.running === 1) {
        await deps.groups.setRunning(id, false, deps.now());
        await deps.reconcile();
      }
      try {
        await deps.groups.delete(id);
      } catch (e) {
        if ((await deps.stats.receiptCountOfGroup(id)) > 0) {
          throw new DomainError('conflict', { code: 'receipts_in_progress', message: 'A receipt arrived meanwhile; try again when it is final' });
        }
        throw e;
      }
      await deps.reconcile();
      await deps.audit(actor, 'service_group.delete', `service_group:${id}`, { name: g.name });
    },
  };
}
export type GroupAdmin = ReturnType<typeof createGroupAdmin>;
