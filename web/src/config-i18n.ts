/**
 * Russian labels and descriptions of the device settings. The driver schemas carry English titles
 * and descriptions; these tables are keyed by driver model + field name (the same field can mean
 * different things: Shtrih-M's `password` is the operator password, ATOL's the web server's).
 * Anything missing falls back to the schema's English text.
 */

/** Labels shared by the drivers. */
const LABELS: Record<string, string> = {
  ffd_version: 'Версия ФФД',
  company_name: 'Наименование пользователя',
  company_inn: 'ИНН пользователя',
  operations_address: 'Адрес расчётов',
  operations_place: 'Место расчётов',
  tax_systems: 'Системы налогообложения',
  ofd_name: 'Наименование ОФД',
  ofd_inn: 'ИНН ОФД',
  automatic_mode: 'Автоматический режим',
  machine_number: 'Номер автомата',
  internet_only: 'Только расчёты в Интернете',
  services: 'Услуги',
  bso: 'Бланки строгой отчётности',
  encryption: 'Шифрование',
  printer_in_machine: 'Принтер в автомате',
  timezone_offset: 'Часовой пояс устройства',
  ofd_ack_delay_ms: 'Задержка квитанции ОФД, мс',
  ofd_enabled: 'ОФД доступен',
  fn_lifetime_days: 'Срок действия ФН, дней',
  fn_archive_capacity: 'Ёмкость архива ФН',
  latency_ms: 'Задержка операций, мс',
  url: 'Адрес веб-сервера драйвера',
  device_id: 'Идентификатор устройства',
  username: 'Имя пользователя',
  password: 'Пароль',
  device_model: 'Модель устройства',
  poll_interval_ms: 'Интервал опроса, мс',
  timeout_ms: 'Тайм-аут, мс',
  host: 'Хост',
  port: 'TCP-порт',
  retries: 'Повторы',
  allow_new_vat_codes: 'Передавать ставки НДС 2025+',
};

const DRIVER_LABELS: Record<string, Record<string, string>> = {
  atol: { password: 'Пароль веб-сервера', username: 'Пользователь веб-сервера', timeout_ms: 'Тайм-аут ответа, мс' },
  shtrih: { password: 'Пароль оператора', timeout_ms: 'Тайм-аут ответа, мс' },
};

const DESCRIPTIONS: Record<string, Record<string, string>> = {
  emulator: {
    ffd_version: 'Формат фискальных данных, для которого зарегистрирован виртуальный ФН: 1.05 («105») или 1.2 («120»).',
    company_name: 'Наименование пользователя (организации), тег 1048.',
    company_inn: 'ИНН пользователя, тег 1018: 10 цифр (организация) или 12 (ИП).',
    operations_address: 'Адрес расчётов, тег 1009 (для интернет-магазина — адрес сайта).',
    operations_place: 'Место расчётов, тег 1187.',
    tax_systems: 'Системы налогообложения, на которые зарегистрирована касса (тег 1062): чек с другой системой касса не примет.',
    ofd_name: 'Наименование оператора фискальных данных, тег 1046. Эмулятор никогда не обращается к настоящему ОФД.',
    ofd_inn: 'ИНН оператора фискальных данных, тег 1017.',
    automatic_mode: 'Тег 1001. Включено: касса работает без кассира, в чеках — номер автомата (1036). Выключено: в каждом чеке и чеке коррекции нужен кассир (1021), иначе API отвечает 422 cashier_required.',
    machine_number: 'Номер автомата, тег 1036 (в автоматическом режиме). Пусто — «virtual-<номер устройства>».',
    internet_only: 'Тег 1108: касса применяется только для расчётов в Интернете и не печатает бумажные чеки.',
    services: 'Тег 1109: касса применяется при оказании услуг.',
    bso: 'Тег 1110: касса формирует бланки строгой отчётности.',
    encryption: 'Тег 1056: фискальные данные передаются в ОФД в зашифрованном виде.',
    printer_in_machine: 'Тег 1221: принтер чеков установлен в автомате.',
    timezone_offset: 'Смещение часов устройства от UTC, например +03:00 (Москва).',
    ofd_ack_delay_ms: 'Сколько времени имитируемый ОФД подтверждает каждый фискальный документ.',
    ofd_enabled: 'Если выключено, документы копятся неотправленными: через 2 дня — ofd_timeout, через 30 дней ФН блокируется.',
    fn_lifetime_days: 'Срок действия виртуального ФН с момента регистрации (у настоящих ФН — 410, 470 или 1110).',
    fn_archive_capacity: 'Сколько фискальных документов вмещает архив виртуального ФН, прежде чем он заполнится.',
    latency_ms: 'Искусственная задержка каждой операции устройства.',
  },
  atol: {
    url: 'Базовый адрес веб-сервера драйвера АТОЛ (atol-fptr-web-requests).',
    device_id: 'Идентификатор этой кассы на веб-сервере (deviceID); пусто — устройство веб-сервера по умолчанию.',
    username: 'Пользователь HTTP Basic веб-сервера, если он требует авторизацию.',
    password: 'Пароль HTTP Basic веб-сервера.',
    device_model: 'Модель кассы АТОЛ.',
    poll_interval_ms: 'Как часто спрашивать у веб-сервера результат поставленного в очередь запроса.',
    timeout_ms: 'Сколько ждать результата запроса. Чек без ответа после этого времени считается «под вопросом» и выясняется повторной отправкой с тем же uuid запроса.',
    timezone_offset: 'Смещение часов кассы от UTC (например, +03:00); используется, когда устройство сообщает дату и время без часового пояса.',
  },
  shtrih: {
    host: 'IP-адрес или имя хоста кассы (или эмулятора протокола).',
    port: 'TCP-порт кассы; устройства Штрих-М слушают порт 7778.',
    password: 'Пароль оператора, передаётся с каждой командой; командам ФН нужен пароль системного администратора (30).',
    timeout_ms: 'Сколько ждать ACK и ответа на одну команду (печать Z-отчёта может занимать секунды).',
    retries: 'Повторы на канальном уровне: ENQ, кадр с NAK или повреждённый ответ (протокол допускает до 10).',
    timezone_offset: 'Смещение часов кассы от UTC, например +03:00 для Москвы; протокол передаёт местное время без часового пояса.',
    allow_new_vat_codes: 'Передавать ставки 5 %, 7 %, 5/105, 7/107, 22 %, 22/122 кодами FF46 0x41–0x46 эмулятора. Для настоящих устройств не включайте, пока коды прошивки не подтверждены.',
  },
};

export const configLabelRu = (driver: string, key: string): string | undefined => DRIVER_LABELS[driver]?.[key] ?? LABELS[key];
export const configDescriptionRu = (driver: string, key: string): string | undefined => DESCRIPTIONS[driver]?.[key];
