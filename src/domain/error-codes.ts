/**
 * The one table of error codes: every `code` the server answers (`errors[].code` of an HTTP error,
 * the `code` of /ready), stores (a receipt's or a device job's `error.code`) or reports (an
 * overview attention item), with its kind, the HTTP statuses it is answered with, and its text in
 * English and Russian. Clients rely on the code, never on the text (docs/api.md).
 *
 * The English text is the code's meaning and the message where the server has nothing more
 * specific to say; call sites may give a more precise English message (which field, which id). The
 * Russian text replaces the message under `Accept-Language: ru`; for a field error it follows
 * "field: ", so there it is a lower-case phrase.
 *
 * docs/api.md's "Error codes" section is generated from this table (scripts/error-codes-doc.ts) and
 * src/domain/error-codes.test.ts checks that it is, and that every code used in src/ is here.
 */

export type ErrorCodeKind =
  | 'request' // the HTTP request itself is unusable (framing, size, media type, JSON syntax)
  | 'validation' // 400: a field is malformed or invalid
  | 'unprocessable' // 422: well-formed but fiscally impossible
  | 'auth' // 401: missing or wrong credentials
  | 'rate_limited' // 429: too many attempts, retry after Retry-After
  | 'forbidden' // 403: authenticated but not allowed
  | 'not_found' // 404
  | 'conflict' // 409: the resource is not in a state that allows the request
  | 'unavailable' // 503: the server cannot do it now, retry later
  | 'internal' // 500: a bug, never bad input
  | 'device' // a device or device-worker failure stored in a receipt's or job's `error`
  | 'receipt' // a receipt outcome that no device reported (admin cancel, lost answer)
  | 'attention'; // an overview item or device warning that needs an admin, never an HTTP error

export interface ErrorCodeSpec {
  readonly kind: ErrorCodeKind;
  /** HTTP statuses the code is answered with as `errors[].code` (or /ready's `code`); empty: never an HTTP error. */
  readonly status: readonly number[];
  /** May be `DeviceError.code`: a driver or the device worker raises it, and a receipt may store it. */
  readonly device?: true;
  readonly en: string;
  readonly ru: string;
}

/**
 * A device job that fails answers 503 with the device's code (fiscal document reads), so every
 * device code has 503 among its statuses.
 */
const DEVICE = 503;

export const ERROR_CODES = {
  // The HTTP request itself.
  malformed_json: { kind: 'request', status: [400], en: 'The body is not valid JSON', ru: 'Тело запроса — некорректный JSON' },
  too_deep: { kind: 'request', status: [400], en: 'The JSON nesting is deeper than 32 levels', ru: 'Слишком глубокая вложенность JSON' },
  invalid_content_length: { kind: 'request', status: [400], en: 'Content-Length does not match the body', ru: 'Заголовок Content-Length не соответствует длине тела запроса' },
  bad_url: { kind: 'request', status: [400], en: 'The URL is malformed (invalid percent-encoding)', ru: 'Некорректный адрес запроса (неверное процентное кодирование)' },
  bad_request: { kind: 'request', status: [400], en: 'Malformed HTTP request', ru: 'Некорректный HTTP-запрос' },
  method_not_allowed: { kind: 'request', status: [405], en: 'The method is not allowed for this resource', ru: 'Метод не поддерживается для этого ресурса' },
  not_acceptable: { kind: 'request', status: [406], en: 'No representation of the resource matches the Accept header', ru: 'Нет представления ресурса в формате, допустимом по заголовку Accept' },
  request_timeout: { kind: 'request', status: [408], en: 'The request did not arrive in time', ru: 'Запрос не поступил полностью за отведённое время' },
  precondition_failed: { kind: 'request', status: [412], en: 'A precondition of the request failed', ru: 'Условие запроса не выполнено' },
  body_too_large: { kind: 'request', status: [413], en: 'The request body is too large', ru: 'Тело запроса слишком велико' },
  unsupported_media_type: { kind: 'request', status: [415], en: 'Content-Type must be application/json', ru: 'Ожидается Content-Type: application/json' },
  range_not_satisfiable: { kind: 'request', status: [416], en: 'The requested range cannot be served', ru: 'Запрошенный диапазон недоступен' },
  headers_too_large: { kind: 'request', status: [431], en: 'The request headers are too large', ru: 'Слишком большие заголовки запроса' },

  // Fields of a request (400). Russian: a phrase after "field: ".
  invalid: { kind: 'validation', status: [400], en: 'The value is invalid', ru: 'некорректное значение' },
  required: { kind: 'validation', status: [400], en: 'A required field is missing', ru: 'обязательное поле' },
  invalid_type: { kind: 'validation', status: [400], en: 'The value has the wrong JSON type (no coercion: "1" is not an integer)', ru: 'неверный тип значения' },
  invalid_format: { kind: 'validation', status: [400], en: 'The value does not have the required format', ru: 'неверный формат' },
  invalid_value: { kind: 'validation', status: [400], en: 'The value is not one of the allowed values', ru: 'недопустимое значение' },
  invalid_characters: {
    kind: 'validation',
    status: [400],
    en: 'The text contains control characters, lone surrogates, bidirectional controls or Unicode noncharacters',
    ru: 'недопустимые символы: управляющие, непарные суррогаты, управление направлением текста или несимволы Юникода',
  },
  too_long: { kind: 'validation', status: [400], en: 'The value is too long', ru: 'слишком длинное значение' },
  too_short: { kind: 'validation', status: [400], en: 'The value is too short', ru: 'слишком короткое значение' },
  invalid_length: { kind: 'validation', status: [400], en: 'The text length is outside the allowed limits', ru: 'недопустимая длина текста' },
  too_many_items: { kind: 'validation', status: [400], en: 'The list has too many items', ru: 'слишком много элементов' },
  too_few_items: { kind: 'validation', status: [400], en: 'The list needs at least one item', ru: 'нужен хотя бы один элемент' },
  out_of_range: { kind: 'validation', status: [400], en: 'The number is outside the allowed range', ru: 'значение вне допустимого диапазона' },
  unknown_field: { kind: 'validation', status: [400], en: 'The device driver has no such setting', ru: 'у драйвера устройства нет такой настройки' },
  invalid_money: { kind: 'validation', status: [400], en: 'Money: a number or numeric string, at most 2 decimal places, not negative', ru: 'сумма: число или строка, не более 2 знаков после запятой, не отрицательная' },
  invalid_measure: { kind: 'validation', status: [400], en: 'The measure of quantity is not an FFD 2108 value', ru: 'мера количества не из перечня тега 2108' },
  invalid_marking_code: { kind: 'validation', status: [400], en: 'Not a marking code FFD accepts (GS1 DataMatrix with GS separators, a short code, or their base64)', ru: 'это не код маркировки в допустимом ФФД виде (GS1 DataMatrix с разделителями GS, короткий код или их base64)' },
  duplicate_marking_code: { kind: 'validation', status: [400], en: 'The same marking code is on two lines of the receipt; one marked unit, one line', ru: 'один и тот же код маркировки в двух позициях чека; одна маркированная единица — одна позиция' },
  invalid_planned_status: { kind: 'validation', status: [400], en: 'The planned status is not an FFD 2003 value, or does not fit the quantity', ru: 'планируемый статус не из перечня тега 2003 или не подходит к количеству' },
  invalid_fraction: { kind: 'validation', status: [400], en: 'The fraction of a marked unit must be numerator/denominator with 1 ≤ numerator < denominator', ru: 'дробное количество маркированного товара: числитель от 1 и меньше знаменателя' },
  invalid_product_code_kind: { kind: 'validation', status: [400], en: 'Not a kind of product code tag 1163 holds (marking codes go in marking_code)', ru: 'вид кода товара не из тега 1163 (коды маркировки передаются в marking_code)' },
  invalid_product_code: { kind: 'validation', status: [400], en: 'The product code does not have the length or characters its kind requires', ru: 'код товара не соответствует длине или составу своего вида' },
  invalid_agent_sign: { kind: 'validation', status: [400], en: 'The agent sign is not one FFD 1222 value', ru: 'признак агента не из перечня тега 1222' },
  invalid_inn: { kind: 'validation', status: [400], en: 'Not a valid INN: 10 or 12 digits with correct check digits', ru: 'неверный ИНН: нужны 10 или 12 цифр с правильными контрольными разрядами' },
  invalid_country_code: { kind: 'validation', status: [400], en: 'The country code must be a 3-digit OKSM code', ru: 'код страны — три цифры по ОКСМ' },
  invalid_document_code: { kind: 'validation', status: [400], en: 'The identity document code must be 2 digits', ru: 'код документа, удостоверяющего личность, — две цифры' },
  invalid_foiv_id: { kind: 'validation', status: [400], en: 'The federal body id (tag 1262) must be 3 digits', ru: 'идентификатор ФОИВ (тег 1262) — три цифры' },
  invalid_quantity: {
    kind: 'validation',
    status: [400],
    en: 'Quantity: a positive number, at most 3 decimal places (6 for weighed goods)',
    ru: 'количество: положительное число, не более 3 знаков после запятой (6 для весовых товаров)',
  },
  invalid_receipt_type: { kind: 'validation', status: [400], en: 'receiptType must be one of 1, 2, 4, 5, 7, 8, 9, 10', ru: 'допустимые значения: 1, 2, 4, 5, 7, 8, 9, 10' },
  invalid_tax_system: { kind: 'validation', status: [400], en: 'tax_system must be one of 1, 2, 4, 8, 16, 32', ru: 'допустимые значения: 1, 2, 4, 8, 16, 32' },
  invalid_tax_type: { kind: 'validation', status: [400], en: 'Unknown VAT rate', ru: 'неизвестная ставка НДС' },
  invalid_payment_type: { kind: 'validation', status: [400], en: 'payment_type_int must be 0 to 4', ru: 'допустимые значения: 0..4' },
  invalid_payment_state: { kind: 'validation', status: [400], en: 'payment_state_int must be 1 to 7', ru: 'допустимые значения: 1..7' },
  invalid_commodity_type: { kind: 'validation', status: [400], en: 'Unknown subject of settlement (tag 1212)', ru: 'неизвестный признак предмета расчёта (тег 1212)' },
  invalid_email: { kind: 'validation', status: [400], en: 'Not a valid e-mail address (at most 64 characters)', ru: 'некорректный адрес электронной почты' },
  invalid_phone: { kind: 'validation', status: [400], en: 'A phone number must have 10 to 15 digits', ru: 'номер телефона должен содержать от 10 до 15 цифр' },
  contact_required: { kind: 'validation', status: [400], en: "The buyer's email or phone_number is required", ru: 'нужен email или phone_number покупателя' },
  conflicting_fields: { kind: 'validation', status: [400], en: 'Give tax_type or tax_type_int, not both', ru: 'укажите только одно из полей tax_type и tax_type_int' },
  not_allowed: { kind: 'validation', status: [400], en: 'The field is allowed only in correction receipts (receiptType 7–10)', ru: 'поле допустимо только в чеках коррекции (receiptType 7–10)' },
  invalid_date: { kind: 'validation', status: [400], en: 'The date does not exist or is written wrongly', ru: 'несуществующая или неверно записанная дата' },
  date_in_future: { kind: 'validation', status: [400], en: 'The date may not be in the future', ru: 'дата не может быть в будущем' },
  invalid_range: { kind: 'validation', status: [400], en: 'The start of the period is after its end', ru: 'начало периода позже конца' },
  invalid_state: { kind: 'validation', status: [400], en: 'Unknown receipt state', ru: 'неизвестное состояние чека' },
  invalid_cursor: { kind: 'validation', status: [400], en: 'The cursor is not one this server issued', ru: 'неизвестный курсор' },
  invalid_idempotency_key: { kind: 'validation', status: [400], en: 'Idempotency-Key must be 1–128 printable ASCII characters', ru: 'Idempotency-Key: от 1 до 128 печатных символов ASCII' },
  // Callbacks: a refused address at the API edge; the same word in a delivery attempt's `error`.
  destination_not_allowed: {
    kind: 'validation',
    status: [400],
    en: 'The callback address is private, loopback, link-local, multicast, unspecified or carrier-grade NAT, and CR_CALLBACK_ALLOW does not allow it',
    ru: 'адрес уведомления внутренний (частная сеть, loopback, link-local, multicast, CGNAT или неопределённый), а CR_CALLBACK_ALLOW его не разрешает',
  },
  invalid_login: {
    kind: 'validation',
    status: [400],
    en: 'The login may contain only Latin letters, digits and . _ @ + - (up to 64)',
    ru: 'логин может содержать только латинские буквы, цифры и символы . _ @ + - (не более 64)',
  },
  unknown_driver: { kind: 'validation', status: [400], en: 'Unknown device driver', ru: 'неизвестный драйвер устройства' },

  // Fiscally impossible (422); the ones a device also refuses are device codes too.
  zero_total: { kind: 'unprocessable', status: [422, DEVICE], device: true, en: 'The receipt total is zero', ru: 'итог чека должен быть больше нуля' },
  zero_item_total: { kind: 'unprocessable', status: [422], en: 'The item cost rounds to zero', ru: 'стоимость позиции после округления равна нулю' },
  insufficient_payment: { kind: 'unprocessable', status: [422, DEVICE], device: true, en: 'The payments are less than the receipt total', ru: 'сумма оплат меньше итога чека' },
  noncash_exceeds_total: {
    kind: 'unprocessable',
    status: [422, DEVICE],
    device: true,
    en: 'Non-cash payments exceed the receipt total; only cash may exceed it',
    ru: 'безналичные оплаты превышают итог чека; превышать итог может только наличная оплата',
  },
  tax_system_not_registered: {
    kind: 'unprocessable',
    status: [422, DEVICE],
    device: true,
    en: 'The taxation system is not one the FN is registered for',
    ru: 'касса не зарегистрирована с этой системой налогообложения',
  },
  cashier_required: {
    kind: 'unprocessable',
    status: [422, DEVICE],
    device: true,
    en: 'The register is not in automatic mode: the receipt must name its cashier (1021)',
    ru: 'касса не в автоматическом режиме: в чеке нужен кассир (1021)',
  },
  correction_type_not_supported: {
    kind: 'unprocessable',
    status: [422],
    en: 'An FFD 1.05 register registers only sell (7) and purchase (9) corrections',
    ru: 'касса с ФФД 1.05 регистрирует только коррекции прихода (7) и расхода (9)',
  },
  requires_ffd_1_2: { kind: 'unprocessable', status: [422], en: 'The field exists only in FFD 1.2; the register is registered for FFD 1.05', ru: 'реквизит есть только в ФФД 1.2, а касса зарегистрирована по ФФД 1.05' },
  marking_code_required: { kind: 'unprocessable', status: [422], en: 'Marked goods sold with their code (1212 = 31 or 33) need the marking code', ru: 'для маркированного товара с кодом (1212 = 31 или 33) нужен код маркировки' },
  marked_subject_required: { kind: 'unprocessable', status: [422], en: 'An item with a marking code must be marked goods (1212 = 33, or 31 if excisable)', ru: 'позиция с кодом маркировки должна быть маркированным товаром (1212 = 33, подакцизный — 31)' },
  commodity_type_requires_ffd_1_2: { kind: 'unprocessable', status: [422], en: 'This subject of settlement exists only in FFD 1.2', ru: 'этот признак предмета расчёта есть только в ФФД 1.2' },

  // Authentication and rate limits.
  auth_required: { kind: 'auth', status: [401], en: 'HTTP Basic authorization is required', ru: 'Требуется авторизация (HTTP Basic)' },
  invalid_credentials: { kind: 'auth', status: [401], en: 'Invalid login or password', ru: 'Неверный логин или пароль' },
  unauthenticated: { kind: 'auth', status: [401], en: 'Authorization is required', ru: 'Требуется авторизация' },
  session_required: { kind: 'auth', status: [401], en: 'Log in to the dashboard', ru: 'Войдите в панель управления' },
  too_many_failed_logins: { kind: 'rate_limited', status: [429], en: 'Too many failed logins; try again later', ru: 'Слишком много неудачных попыток входа; повторите позже' },
  login_busy: { kind: 'rate_limited', status: [429], en: 'Too many logins are being checked; try again in a moment', ru: 'Сервер проверяет слишком много входов; повторите через секунду' },

  // Not allowed.
  forbidden: { kind: 'forbidden', status: [403], en: 'Access is forbidden', ru: 'Доступ запрещён' },
  access_denied: { kind: 'forbidden', status: [403], en: 'This user may not use this service group', ru: 'У пользователя нет доступа к этому кассовому сервису' },
  superuser_required: { kind: 'forbidden', status: [403], en: 'Only a superuser may do this', ru: 'Действие доступно только суперпользователю' },
  not_superuser: { kind: 'forbidden', status: [403], en: 'Only superusers may use the dashboard', ru: 'Панелью управления могут пользоваться только суперпользователи' },
  csrf_invalid: { kind: 'forbidden', status: [403], en: 'Missing or wrong X-CSRF-Token header; reload the page', ru: 'Заголовок X-CSRF-Token отсутствует или неверен; обновите страницу' },
  cross_site_request: {
    kind: 'forbidden',
    status: [403],
    en: 'Cross-site requests may not change state; call the API from your server',
    ru: 'Запросы с других сайтов не могут изменять данные; вызывайте API со своего сервера',
  },

  // Not found.
  not_found: { kind: 'not_found', status: [404], en: 'No such resource', ru: 'Ресурс не найден' },
  service_group_not_found: { kind: 'not_found', status: [404], en: 'The service group does not exist', ru: 'Кассовый сервис не найден' },
  receipt_not_found: { kind: 'not_found', status: [404], en: 'The receipt does not exist in this service group', ru: 'Чек не найден' },
  // 400 when it names a field of the request (`user_ids` of a service group's access list).
  user_not_found: { kind: 'not_found', status: [404, 400], en: 'The user does not exist', ru: 'Пользователь не найден' },
  document_not_found: { kind: 'not_found', status: [404], en: 'The FN has no fiscal document with this number', ru: 'В ФН нет фискального документа с этим номером' },
  orphan_document_not_found: { kind: 'not_found', status: [404], en: 'No such fiscal document without a receipt', ru: 'Такой фискальный документ без чека не найден' },
  job_not_found: { kind: 'not_found', status: [404], en: 'The device operation disappeared', ru: 'Операция с устройством не найдена' },
  register_not_found: { kind: 'not_found', status: [404], en: 'The register is not in this service group', ru: 'Касса не найдена в этом кассовом сервисе' },
  delivery_not_found: { kind: 'not_found', status: [404], en: 'The service group has no such register event delivery', ru: 'Такого уведомления о кассе у кассового сервиса нет' },

  // Conflicts.
  idempotency_key_reused: { kind: 'conflict', status: [409], en: 'This Idempotency-Key was already used with a different body', ru: 'Этот Idempotency-Key уже использован с другим телом запроса' },
  login_taken: { kind: 'conflict', status: [409], en: 'The login is taken', ru: 'Этот логин уже занят' },
  group_code_taken: { kind: 'conflict', status: [409], en: 'Another service group has this ATOL Online group code', ru: 'Этот код группы ККТ (АТОЛ Онлайн) уже у другого кассового сервиса' },
  cannot_demote_self: {
    kind: 'conflict',
    status: [409],
    en: 'You cannot deactivate yourself or remove your own superuser rights',
    ru: 'Нельзя деактивировать себя или снять с себя права суперпользователя',
  },
  cannot_delete_self: { kind: 'conflict', status: [409], en: 'You cannot delete yourself', ru: 'Нельзя удалить самого себя' },
  last_superuser: { kind: 'conflict', status: [409], en: 'This is the last active superuser', ru: 'Это последний активный суперпользователь' },
  user_has_receipts: { kind: 'conflict', status: [409], en: 'The user has receipts and cannot be deleted; deactivate the user instead', ru: 'У пользователя есть чеки, удалить его нельзя; деактивируйте его' },
  group_has_receipts: {
    kind: 'conflict',
    status: [409],
    en: 'The service group has receipts and cannot be deleted; disable it instead',
    ru: 'В кассовом сервисе есть чеки, удалить его нельзя; отключите его',
  },
  receipts_in_progress: {
    kind: 'conflict',
    status: [409],
    en: 'Receipts are pending, processing or in doubt; wait until they are final',
    ru: 'Есть чеки в очереди, в обработке или с неизвестным исходом; дождитесь их завершения',
  },
  // Register pools (docs/pools.md).
  register_not_drained: {
    kind: 'conflict',
    status: [409],
    en: 'Put the register in maintenance and wait until it holds no unfinished receipts',
    ru: 'Переведите кассу в обслуживание и дождитесь, пока на ней не останется незавершённых чеков',
  },
  shift_open: { kind: 'conflict', status: [409], en: 'Close the register’s shift first', ru: 'Сначала закройте смену на этой кассе' },
  last_register: { kind: 'conflict', status: [409], en: 'A service group keeps at least one register in its pool', ru: 'В кассовом сервисе должна остаться хотя бы одна касса' },
  register_retired: { kind: 'conflict', status: [409], en: 'The register has left the pool', ru: 'Касса выведена из кассового сервиса' },
  close_archive_not_supported: {
    kind: 'conflict',
    status: [409],
    en: "The register's driver cannot close the FN archive; close it with the vendor's tool",
    ru: 'Драйвер этой кассы не умеет закрывать архив ФН; закройте его утилитой производителя',
  },
  receipt_not_failed: { kind: 'conflict', status: [409], en: 'Only a failed receipt can be retried', ru: 'Повторить можно только чек с ошибкой' },
  receipt_not_pending: { kind: 'conflict', status: [409], en: 'Only a pending receipt can be canceled', ru: 'Отменить можно только чек, ожидающий в очереди' },
  receipt_not_fiscalized: { kind: 'conflict', status: [409], en: 'The receipt has no fiscal document to print', ru: 'У чека нет фискального документа для печати' },
  // Callbacks: a resend needs an address and an outcome.
  callback_not_configured: { kind: 'conflict', status: [409], en: 'The receipt was registered without a callback_url: there is nothing to resend', ru: 'Чек зарегистрирован без callback_url: отправлять уведомление некуда' },
  events_not_configured: {
    kind: 'conflict',
    status: [409],
    en: 'The service group has no events URL (or its signer was deleted): there is nowhere to send the event',
    ru: 'У кассового сервиса нет адреса уведомлений о кассах (или удалён его владелец): отправлять событие некуда',
  },
  receipt_not_final: { kind: 'conflict', status: [409], en: 'The receipt has no outcome to send yet: it is neither success nor failed', ru: 'У чека ещё нет итога для уведомления: он не успешен и не завершён с ошибкой' },
  orphan_document_acknowledged: { kind: 'conflict', status: [409], en: 'The fiscal document is already acknowledged', ru: 'Фискальный документ уже подтверждён' },
  faults_not_supported: {
    kind: 'conflict',
    status: [409],
    en: 'Fault injection exists only on virtual registers and protocol emulators',
    ru: 'Имитация сбоев есть только у виртуальных касс и эмуляторов протоколов',
  },

  // The server cannot do it now (503; retry later).
  service_group_disabled: { kind: 'unavailable', status: [503, 409], en: 'The service group is disabled', ru: 'Кассовый сервис отключён' },
  service_group_stopped: { kind: 'unavailable', status: [503], en: 'The service group is stopped; start it in the dashboard', ru: 'Кассовый сервис остановлен; запустите его в панели управления' },
  device_busy: { kind: 'unavailable', status: [503], en: 'The device did not answer in time', ru: 'Устройство не ответило вовремя' },
  device_not_driven_here: {
    kind: 'unavailable',
    status: [503],
    en: 'The group is stopped or its device is driven by another node',
    ru: 'Кассовый сервис остановлен или его устройством управляет другой узел',
  },
  database_unavailable: {
    kind: 'unavailable',
    status: [503],
    en: 'The database is unreachable. Retry later, with the same Idempotency-Key',
    ru: 'База данных временно недоступна; повторите запрос с тем же Idempotency-Key',
  },
  storage_unavailable: { kind: 'unavailable', status: [503], device: true, en: 'The server cannot write its database. Retry later', ru: 'Хранилище данных недоступно; чек не принят' },
  disk_full: { kind: 'unavailable', status: [503], en: 'The server is out of disk space. Retry later', ru: 'На диске недостаточно места; чек не принят' },
  data_dir_missing: { kind: 'unavailable', status: [503], en: 'The server cannot store receipts: its data directory is missing', ru: 'Каталог данных сервера отсутствует; чек не принят' },
  data_dir_not_writable: {
    kind: 'unavailable',
    status: [503],
    en: 'The server cannot store receipts: its data directory is not writable',
    ru: 'В каталог данных сервера нельзя записать; чек не принят',
  },
  database_missing: { kind: 'unavailable', status: [503], en: 'The server cannot store receipts: its database file is missing', ru: 'Файл базы данных отсутствует; чек не принят' },
  database_replaced: { kind: 'unavailable', status: [503], en: 'The server cannot store receipts: its database file was replaced', ru: 'Файл базы данных заменён; чек не принят' },
  stopping: { kind: 'unavailable', status: [503], en: 'The server is shutting down (/ready only)', ru: 'Сервер завершает работу' },
  migrations_pending: { kind: 'unavailable', status: [503], en: 'The database schema is not migrated to this version (/ready only)', ru: 'Схема базы данных не обновлена до этой версии сервера' },

  internal_error: { kind: 'internal', status: [500], en: 'Internal server error', ru: 'Внутренняя ошибка сервера' },

  // Devices and device workers: a receipt's or a device job's `error.code`.
  device_offline: { kind: 'device', status: [DEVICE], device: true, en: 'The device does not answer', ru: 'Устройство не отвечает' },
  answer_lost: { kind: 'device', status: [DEVICE], device: true, en: 'The device took the document but its answer was lost', ru: 'Устройство приняло документ, но его ответ потерян' },
  device_timeout: { kind: 'device', status: [DEVICE], device: true, en: 'The device did not answer within the device call timeout', ru: 'Устройство не ответило за отведённое на вызов время' },
  lease_lost: {
    kind: 'device',
    status: [DEVICE],
    device: true,
    en: "This node's lease on the device ended before the call could reach the FN",
    ru: 'Аренда устройства этим узлом истекла раньше, чем вызов дошёл до ФН',
  },
  fn_state_mismatch: {
    kind: 'device',
    status: [DEVICE],
    device: true,
    en: "The FN's document counter is behind the documents this device's receipts own: it is not the FN memory they were fiscalized on",
    ru: 'Счётчик документов ФН меньше номеров документов, принадлежащих чекам этого устройства: это не та память ФН, в которой они фискализированы',
  },
  fn_replaced_unannounced: {
    kind: 'device',
    status: [DEVICE],
    device: true,
    en: 'The register reports another FN than the one its receipts were fiscalized on: mark the FN replacement ("FN replaced" in the pool) so the new FN gets a register row of its own',
    ru: 'Касса сообщает другой ФН, чем тот, на котором фискализированы её чеки: отметьте замену («ФН заменён»), чтобы новый ФН получил свою запись кассы',
  },
  marking_check_failed: {
    kind: 'device',
    status: [DEVICE],
    device: true,
    en: "A marking code failed the check by the FN or the marking operator; the group's marking policy refuses the receipt",
    ru: 'Код маркировки не прошёл проверку ФН или оператора маркировки; политика группы запрещает продажу',
  },
  marking_operator_unavailable: {
    kind: 'device',
    status: [DEVICE],
    device: true,
    en: "The marking operator did not answer the code check; the group's strict marking policy refuses the receipt",
    ru: 'Оператор маркировки не ответил на проверку кода; строгая политика группы запрещает продажу',
  },
  shift_closed: { kind: 'device', status: [DEVICE], device: true, en: 'The shift is closed', ru: 'Смена закрыта' },
  shift_expired: { kind: 'device', status: [DEVICE], device: true, en: 'The shift is open for more than 24 hours; close it first', ru: 'Смена открыта больше 24 часов; сначала закройте её' },
  shift_already_open: { kind: 'device', status: [DEVICE], device: true, en: 'The shift is already open', ru: 'Смена уже открыта' },
  sum_mismatch: { kind: 'device', status: [DEVICE], device: true, en: 'An item total does not equal price × quantity', ru: 'Стоимость позиции не равна произведению цены на количество' },
  invalid_document: { kind: 'device', status: [DEVICE], device: true, en: 'The device refused the document data', ru: 'Устройство отклонило данные документа' },
  not_supported: { kind: 'device', status: [DEVICE], device: true, en: 'The device does not support this operation', ru: 'Устройство не поддерживает эту операцию' },
  paper_out: { kind: 'device', status: [DEVICE], device: true, en: 'The device is out of paper', ru: 'В устройстве закончилась бумага' },
  fn_expired: { kind: 'device', status: [DEVICE], device: true, en: 'The fiscal drive lifetime has ended', ru: 'Срок действия фискального накопителя истёк' },
  fn_memory_full: { kind: 'device', status: [DEVICE], device: true, en: 'The fiscal drive archive is full', ru: 'Архив фискального накопителя заполнен' },
  fn_archive_closed: {
    kind: 'device',
    status: [DEVICE],
    device: true,
    en: 'The FN archive is closed: the FN takes no more fiscal documents; replace the FN',
    ru: 'Архив ФН закрыт: ФН больше не принимает фискальные документы; замените ФН',
  },
  ofd_backlog: {
    kind: 'device',
    status: [DEVICE],
    device: true,
    en: 'A document has waited for the OFD for more than 30 days; the FN refuses new documents',
    ru: 'Документ не передан в ОФД больше 30 дней; ФН не принимает новые документы',
  },
  marking_blocked: {
    kind: 'device',
    status: [DEVICE],
    device: true,
    en: 'The FN has temporarily blocked work with marked goods: its sale notifications wait too long for the marking operator',
    ru: 'Работа с маркированными товарами временно заблокирована: уведомления о реализации слишком долго не подтверждены оператором маркировки',
  },
  invalid_datetime: { kind: 'device', status: [DEVICE], device: true, en: 'The device clock is behind the last fiscal document', ru: 'Часы устройства отстают от времени последнего фискального документа' },
  device_error: { kind: 'device', status: [DEVICE], device: true, en: 'The device reported an error', ru: 'Устройство сообщило об ошибке' },

  // Receipt outcomes no device reported.
  in_doubt: {
    kind: 'receipt',
    status: [],
    en: "The device's answer was lost; the server resolves the receipt from the FN's document counter",
    ru: 'Ответ устройства потерян; сервер определит исход чека по счётчику документов ФН',
  },
  canceled: { kind: 'receipt', status: [], en: 'Canceled by an admin; nothing was fiscalized', ru: 'Отменён администратором; фискальный документ не создан' },

  // Overview attention items and device warnings (GET /admin/api/overview, device status).
  orphan_documents: {
    kind: 'attention',
    status: [],
    en: 'Fiscal documents in the FN belong to no receipt; check and acknowledge them',
    ru: 'В ФН есть фискальные документы без чека; проверьте и подтвердите их',
  },
  shift_expires_soon: { kind: 'attention', status: [], en: 'The shift reaches its 24-hour limit soon', ru: 'Скоро истекут 24 часа смены' },
  fn_expires_soon: { kind: 'attention', status: [], en: 'The fiscal drive expires soon', ru: 'Срок действия фискального накопителя скоро истечёт' },
  fn_replace_urgently: { kind: 'attention', status: [], en: 'The fiscal drive must be replaced urgently', ru: 'Фискальный накопитель требует срочной замены' },
  fn_memory_almost_full: { kind: 'attention', status: [], en: 'The fiscal drive archive is almost full', ru: 'Архив фискального накопителя почти заполнен' },
  ofd_timeout: { kind: 'attention', status: [], en: 'The OFD has not confirmed documents in time', ru: 'ОФД вовремя не подтвердил получение документов' },
  receipts_in_doubt: { kind: 'attention', status: [], en: 'Receipts are in doubt', ru: 'Есть чеки с неизвестным исходом' },
  receipts_failed: { kind: 'attention', status: [], en: 'Receipts failed', ru: 'Есть чеки с ошибкой' },
  queue_stopped: { kind: 'attention', status: [], en: 'Receipts wait while the service group is stopped', ru: 'Чеки ждут в очереди, пока кассовый сервис остановлен' },
  // Register pools and the FN lifecycle (docs/pools.md).
  register_maintenance: { kind: 'attention', status: [], en: 'The register is in maintenance and takes no new receipts', ru: 'Касса на обслуживании и не принимает новые чеки' },
  fn_forecast: { kind: 'attention', status: [], en: 'A limit of the fiscal drive is near (expiry, full archive or the 30-day OFD block)', ru: 'Близок предел фискального накопителя (срок, заполнение архива или блокировка через 30 дней без ОФД)' },
  // Register health reasons (domain/pool.ts); fn_expired, ofd_backlog, marking_blocked and paper_out are above.
  maintenance: { kind: 'attention', status: [], en: 'The register is in maintenance', ru: 'Касса на обслуживании' },
  fn_not_fiscal: { kind: 'attention', status: [], en: 'The FN is not in its fiscal phase', ru: 'ФН не в фискальном режиме' },
  fn_expiring: { kind: 'attention', status: [], en: 'The FN expires within the pool’s threshold', ru: 'Срок ФН истекает в пределах порога пула' },
  fn_filling: { kind: 'attention', status: [], en: 'The FN archive is filled above the pool’s threshold', ru: 'Архив ФН заполнен выше порога пула' },
  ofd_blocked: { kind: 'attention', status: [], en: 'A document has waited for the OFD 30 days: the FN blocks', ru: 'Документ не передан в ОФД 30 дней: ФН заблокирован' },
  shift_near_limit: { kind: 'attention', status: [], en: 'The shift is near its 24 h limit and closes only by hand', ru: 'Смена близка к 24 часам и закрывается только вручную' },
  ffd_mismatch: { kind: 'attention', status: [], en: 'The register works under another FFD version than the pool', ru: 'Касса работает по другой версии ФФД, чем пул' },
  pool_drained: { kind: 'attention', status: [], en: 'Receipts wait: every register of the pool is in maintenance', ru: 'Чеки ждут: все кассы сервиса на обслуживании' },
} as const satisfies Record<string, ErrorCodeSpec>;

type Table = typeof ERROR_CODES;
export type ErrorCode = keyof Table;
/** The codes a DeviceError may carry: the drivers' and the device worker's. */
export type DeviceErrorCode = { [K in ErrorCode]: Table[K] extends { device: true } ? K : never }[ErrorCode];

const SPECS: ReadonlyMap<string, ErrorCodeSpec> = new Map(Object.entries(ERROR_CODES));

export const isErrorCode = (code: string): code is ErrorCode => SPECS.has(code);

export const isDeviceErrorCode = (code: string): code is DeviceErrorCode => SPECS.get(code)?.device === true;

export const DEVICE_ERROR_CODE_LIST: readonly DeviceErrorCode[] = Object.keys(ERROR_CODES).filter(isDeviceErrorCode);

export type Language = 'en' | 'ru';

/** The code's text in a language; undefined for a code outside the table (a framework's own code). */
export function errorText(code: string, language: Language): string | undefined {
  return SPECS.get(code)?.[language];
}

/**
 * The one mapping from JSON Schema validation keywords to codes, for every validator the server
 * runs: ajv on requests, TypeBox `Value.Errors` on device driver settings. A failed union
 * (`anyOf`/`oneOf`) is named by `validationCodes` from its branches.
 */
export const VALIDATION_KEYWORD_CODES = {
  required: 'required',
  type: 'invalid_type',
  pattern: 'invalid_format',
  format: 'invalid_format',
  maxLength: 'too_long',
  minLength: 'too_short',
  maxItems: 'too_many_items',
  minItems: 'too_few_items',
  minimum: 'out_of_range',
  maximum: 'out_of_range',
  enum: 'invalid_value',
  const: 'invalid_value',
  anyOf: 'invalid_type',
  oneOf: 'invalid_type',
  additionalProperties: 'unknown_field',
  // The text rule (TEXT_GUARD in src/http/schemas.ts) is the only `not` of the request schemas.
  not: 'invalid_characters',
} as const satisfies Record<string, ErrorCode>;

const KEYWORD_CODES: ReadonlyMap<string, ErrorCode> = new Map(Object.entries(VALIDATION_KEYWORD_CODES));

/** The code of one validation keyword; `invalid` for a keyword the schemas do not use. */
export const validationCode = (keyword: string): ErrorCode => KEYWORD_CODES.get(keyword) ?? 'invalid';

/** One validator error, as ajv and TypeBox both report it. */
export interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params?: Record<string, unknown>;
}

const isUnion = (keyword: string): boolean => keyword === 'anyOf' || keyword === 'oneOf';

/**
 * The code of each validator error, in order. A failed union is `invalid_value` when its branches
 * are constants (an enumeration written as a union of literals, as TypeBox writes them) and
 * `invalid_type` when they are types (money: number | string): ajv and TypeBox both report a
 * union's branch failures right before the union's own error, at the same instance path. The
 * `null` branch of a nullable value does not decide.
 */
export function validationCodes(errors: readonly ValidationIssue[]): ErrorCode[] {
  const codes: ErrorCode[] = [];
  errors.forEach((e, i) => {
    if (!isUnion(e.keyword)) {
      codes.push(validationCode(e.keyword));
      return;
    }
    let constants = false;
    let types = false;
    for (let j = i - 1; j >= 0; j--) {
      const branch = errors[j];
      if (branch?.instancePath !== e.instancePath) break;
      if (branch.keyword === 'type' && branch.params?.type === 'null') continue;
      if (codes[j] === 'invalid_value') constants = true;
      else types = true;
    }
    codes.push(constants && !types ? 'invalid_value' : validationCode(e.keyword));
  });
  return codes;
}

export interface ErrorCodeEntry extends ErrorCodeSpec {
  code: ErrorCode;
}

/** The table as plain JSON, in table order: what a server endpoint or a generated document would serve. */
export function errorCatalog(): ErrorCodeEntry[] {
  return Object.keys(ERROR_CODES)
    .filter(isErrorCode)
    .map((code) => {
      const s: ErrorCodeSpec = ERROR_CODES[code];
      return { code, kind: s.kind, status: [...s.status], ...(s.device ? { device: true as const } : {}), en: s.en, ru: s.ru };
    });
}
