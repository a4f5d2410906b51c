import type { FieldError } from '../domain/errors.js';

/**
 * Russian messages for `Accept-Language: ru`, by error code. The code and field stay the same;
 * clients never parse `message`.
 */
const RU: Record<string, string> = {
  invalid_credentials: 'Неверный логин или пароль',
  auth_required: 'Требуется авторизация (HTTP Basic)',
  too_many_failed_logins: 'Слишком много неудачных попыток входа; повторите позже',
  login_busy: 'Сервер проверяет слишком много входов; повторите через секунду',
  access_denied: 'У пользователя нет доступа к этому кассовому сервису',
  service_group_not_found: 'Кассовый сервис не найден',
  receipt_not_found: 'Чек не найден',
  not_found: 'Ресурс не найден',
  idempotency_key_reused: 'Этот Idempotency-Key уже использован с другим телом запроса',
  invalid_idempotency_key: 'Idempotency-Key: от 1 до 128 печатных символов',
  service_group_disabled: 'Кассовый сервис отключён',
  service_group_stopped: 'Кассовый сервис остановлен; запустите его в панели управления',
  malformed_json: 'Тело запроса — некорректный JSON',
  too_deep: 'Слишком глубокая вложенность JSON',
  body_too_large: 'Тело запроса слишком велико',
  unsupported_media_type: 'Ожидается Content-Type: application/json',
  required: 'обязательное поле',
  invalid_type: 'неверный тип значения',
  invalid_format: 'неверный формат',
  invalid_characters: 'недопустимые символы: управляющие, непарные суррогаты, управление направлением текста или несимволы Юникода',
  too_long: 'слишком длинное значение',
  too_short: 'слишком короткое значение',
  too_many_items: 'слишком много элементов',
  too_few_items: 'нужен хотя бы один элемент',
  out_of_range: 'значение вне допустимого диапазона',
  invalid_money: 'сумма: число или строка, не более 2 знаков после запятой, не отрицательная',
  invalid_quantity: 'количество: положительное число, не более 3 знаков после запятой (6 для весовых товаров)',
  invalid_receipt_type: 'допустимые значения: 1, 2, 4, 5, 7, 8, 9, 10',
  invalid_tax_system: 'допустимые значения: 1, 2, 4, 8, 16, 32',
  invalid_tax_type: 'неизвестная ставка НДС',
  invalid_payment_type: 'допустимые значения: 0..4',
  invalid_payment_state: 'допустимые значения: 1..7',
  invalid_commodity_type: 'неизвестный признак предмета расчёта (тег 1212)',
  invalid_email: 'некорректный адрес электронной почты',
  invalid_phone: 'номер телефона должен содержать от 10 до 15 цифр',
  contact_required: 'нужен email или phone_number покупателя',
  conflicting_fields: 'укажите только одно из полей tax_type и tax_type_int',
  not_allowed: 'поле допустимо только в чеках коррекции (receiptType 7–10)',
  invalid_date: 'несуществующая или неверно записанная дата',
  date_in_future: 'дата не может быть в будущем',
  invalid_range: 'начало периода позже конца',
  invalid_state: 'неизвестное состояние чека',
  invalid_cursor: 'неизвестный курсор',
  zero_total: 'итог чека должен быть больше нуля',
  zero_item_total: 'стоимость позиции после округления равна нулю',
  insufficient_payment: 'сумма оплат меньше итога чека',
  noncash_exceeds_total: 'безналичные оплаты превышают итог чека; превышать итог может только наличная оплата',
  tax_system_not_registered: 'касса не зарегистрирована с этой системой налогообложения',
  correction_type_not_supported: 'касса с ФФД 1.05 регистрирует только коррекции прихода (7) и расхода (9)',
  commodity_type_requires_ffd_1_2: 'этот признак предмета расчёта есть только в ФФД 1.2',
  cross_site_request: 'Запросы с других сайтов не могут изменять данные; вызывайте API со своего сервера',
  bad_url: 'Некорректный адрес запроса',
  bad_request: 'Некорректный HTTP-запрос',
  request_timeout: 'Запрос не поступил полностью за отведённое время',
  headers_too_large: 'Слишком большие заголовки запроса',
  forbidden: 'Доступ запрещён',
  method_not_allowed: 'Метод не поддерживается',
  superuser_required: 'Действие доступно только суперпользователю',
  database_unavailable: 'База данных временно недоступна; повторите запрос с тем же Idempotency-Key',
  storage_unavailable: 'Хранилище данных недоступно; чек не принят',
  disk_full: 'На диске недостаточно места; чек не принят',
  data_dir_missing: 'Каталог данных сервера отсутствует; чек не принят',
  data_dir_not_writable: 'В каталог данных сервера нельзя записать; чек не принят',
  database_missing: 'Файл базы данных отсутствует; чек не принят',
  database_replaced: 'Файл базы данных заменён; чек не принят',
  unauthenticated: 'Требуется авторизация',
  internal_error: 'Внутренняя ошибка сервера',
};

export function localize(errors: FieldError[], acceptLanguage: string | undefined): FieldError[] {
  if (!acceptLanguage || !/^\s*ru\b/i.test(acceptLanguage)) return errors;
  return errors.map((e) => {
    const ru = RU[e.code];
    if (!ru) return e;
    return { ...e, message: e.field ? `${e.field}: ${ru}` : ru };
  });
}
