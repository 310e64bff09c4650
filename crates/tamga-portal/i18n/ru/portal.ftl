# Тексты портала на русском. Те же идентификаторы, что в i18n/en/.

language-name = Русский
skip-to-content = Перейти к содержанию
language-switch = Язык
nav-label = Основное меню
nav-home = Главная
nav-calculator = Калькулятор платежей
nav-tariff = Тариф
nav-hs = Помощник по кодам
nav-offices = Таможенные органы
nav-status = Состояние сервиса
footer-text = tamga — открытая цифровая таможня. Демонстрационный тариф приведён для примера и не является действующим.
footer-api = API (OpenAPI)

fmt-group-separator = {"\u00A0"}
fmt-decimal-separator = ,

## Главная

home-title = Таможенное оформление — открыто и с объяснениями
home-lead = tamga принимает электронную таможенную декларацию, проверяет её, исчисляет платежи, оценивает риск и выпускает товары — как правило, без ожидания инспектора. Каждое решение записывается вместе с основаниями.
home-calculator = Рассчитайте пошлину, акциз и НДС на один товар с объяснением каждой меры.
home-tariff = Найдите код в товарной номенклатуре и посмотрите меры по товарной позиции.
home-hs = Опишите товар в нескольких словах и получите вероятные коды ГС с объяснением.
home-offices = Найдите таможенный орган: что он оформляет и где находится.
home-status = Проверьте, работают ли сервис и его база данных.
home-how-title = Как это работает
home-how = Участник ВЭД подаёт подписанную декларацию. tamga проверяет её, регистрирует, исчисляет платежи по тарифу, определяет канал контроля и резервирует деньги на лицевом счёте. Декларация «зелёного» канала выпускается сразу, остальные передаются инспектору.
home-api-title = Для программ
home-api = Всё, что есть здесь, доступно и через HTTP API с опубликованным описанием.
home-tariff-in-use = Действующий тариф: { $name }

## Калькулятор платежей

calc-title = Калькулятор таможенных платежей
calc-lead = Введите один товар так, как указали бы его в декларации. Расчёт выполняет тот же механизм, что исчисляет платежи по декларациям.
calc-errors-title = Не удалось выполнить расчёт
calc-goods-code = Код товара
calc-goods-code-hint = 6, 8 или 10 цифр, например 8471300000
calc-origin = Страна происхождения
calc-origin-hint = Две буквы (ISO 3166), например CN
calc-preferential-origin = Преференциальное происхождение
calc-preferential-origin-hint = Только если заявляется преференция; две буквы
calc-customs-value = Таможенная стоимость
calc-customs-value-hint = Число, дробная часть через точку, например 12000.00
calc-currency = Валюта
calc-currency-hint = Три буквы (ISO 4217), например USD
calc-date = Дата
calc-date-hint = ГГГГ-ММ-ДД; если пусто — сегодня
calc-additional-code = Дополнительный код
calc-additional-code-hint = Только если его требует тариф
calc-documents = Представленные документы
calc-documents-hint = Коды сертификатов или лицензий через запятую
calc-quantities = Количество
calc-quantities-hint = Нужно, если мера взимается за единицу (например, масса нетто в KGM).
calc-quantity-unit = Единица
calc-quantity-unit-hint = Например KGM, LTR, NAR
calc-quantity-value = Количество
calc-submit = Рассчитать
calc-no-tariff = Тариф не загружен, поэтому расчёт невозможен.
calc-result-heading = Платежи по коду { $code }, происхождение { $origin }
calc-result-tariff = Тариф: { $name }
calc-value-national = Таможенная стоимость в национальной валюте
calc-rate-title = Курс валюты
calc-rate = 1 { $currency } = { $rate }
calc-lines-caption = Все начисленные меры со ставкой и базой
calc-col-measure = Мера
calc-col-kind = Вид
calc-col-area = Применяется к
calc-col-expression = Ставка
calc-col-base = База
calc-col-amount = Сумма
calc-total-customs-duty = Ввозная пошлина
calc-total-additional = Дополнительные пошлины
calc-total-excise = Акциз
calc-total-vat = НДС
calc-total = Итого к уплате
calc-notes = Примечания
calc-rounding = Каждая строка округляется по правилам арифметики до минимальной единицы национальной валюты; итоги — суммы округлённых строк.

## Ошибки калькулятора по кодам (коды API)

error-generic = Расчёт невозможен ({ $code }).
error-AMOUNT_FORMAT = «{ $value }» — не число в нужном формате: цифры и, при необходимости, точка с дробной частью.
error-CALCULATOR_DATE = «{ $value }» — не дата в формате ГГГГ-ММ-ДД.
error-NOT_FOUND = Тариф не загружен, поэтому расчёт невозможен.
error-DUTY-UNKNOWN-GOODS-CODE = Кода товара «{ $value }» нет в тарифе.
error-DUTY-GOODS-CODE-NOT-DECLARABLE = Код «{ $value }» нельзя декларировать: выберите код с национальной детализацией.
error-DUTY-GOODS-CODE-NOT-VALID = Код товара «{ $value }» не действует на эту дату.
error-DUTY-MEASURES-EXPIRED = Меры по этому коду не действуют на эту дату.
error-DUTY-UNKNOWN-ORIGIN = Страна «{ $value }» неизвестна тарифу.
error-DUTY-UNKNOWN-CURRENCY = Валюта «{ $value }» неизвестна тарифу.
error-DUTY-NO-EXCHANGE-RATE = Нет курса для «{ $value }» на эту дату.
error-DUTY-AMOUNT-PRECISION = В сумме «{ $value }» больше знаков после запятой, чем допускает валюта.
error-DUTY-NEGATIVE-AMOUNT = Сумма не может быть отрицательной.
error-DUTY-UNKNOWN-UNIT = Единица «{ $value }» неизвестна.
error-DUTY-QUANTITY-MISSING = Мера взимается за единицу: укажите количество в нужной единице.
error-DUTY-UNKNOWN-ADDITIONAL-CODE = Дополнительного кода «{ $value }» нет в тарифе.
error-DUTY-ADDITIONAL-CODE-REQUIRED = Для этого кода нужен дополнительный код.
error-DUTY-BAD-ITEM = Не удаётся прочитать сведения о товаре.
error-DUTY-NO-THIRD-COUNTRY-DUTY = В тарифе нет базовой ставки для этого кода.
error-DUTY-OVERFLOW = Суммы слишком велики для расчёта.
error-DUTY-PROHIBITED = Ввоз этих товаров из этой страны запрещён.
error-DUTY-RESTRICTION-DOCUMENT-MISSING = Для этих товаров нужна лицензия или сертификат: укажите его код в представленных документах.
error-DUTY-STOPPED-BY-CONDITION = Условие одной из мер не позволяет выпуск этих товаров.

## Виды мер

kind-third-country-duty = Ввозная пошлина (базовая)
kind-tariff-preference = Тарифная преференция
kind-suspension = Временное снижение ставки
kind-tariff-quota = Тарифная квота
kind-anti-dumping = Антидемпинговая пошлина
kind-countervailing = Компенсационная пошлина
kind-additional-duty = Дополнительная пошлина
kind-vat = НДС
kind-excise = Акциз
kind-prohibition = Запрет
kind-restriction = Ограничение

## Тариф

tariff-title = Таможенный тариф
tariff-lead = Ищите в товарной номенклатуре по коду или словам, затем откройте товарную позицию, чтобы увидеть её подсубпозиции и действующие сегодня меры.
tariff-search-label = Код или слова
tariff-search-hint = Например 8471 или horses (описания — на английском)
tariff-search = Найти
tariff-results-for = Результаты по запросу «{ $query }»
tariff-nothing-found = В номенклатуре ничего не найдено по запросу «{ $query }».
tariff-more = Найдено больше кодов: уточните запрос, чтобы увидеть их.
tariff-col-code = Код
tariff-col-description = Описание
tariff-col-heading = Товарная позиция
tariff-heading-title = Товарная позиция { $heading }
tariff-no-heading = В номенклатуре нет товарной позиции «{ $heading }».
tariff-no-measures = Собственных мер, действующих сегодня, нет.
tariff-col-measure = Мера
tariff-col-duty = Ставка
tariff-col-details = Подробности
tariff-col-validity = Действует
tariff-additional-code = дополнительный код { $code }
tariff-quota = квота { $order }
tariff-conditions = условий: { $count }
tariff-valid-from = с { $from }
tariff-valid-from-to = с { $from } по { $to }

## Таможенные органы

offices-title = Таможенные органы
offices-lead = Все таможенные органы из справочных данных: что они оформляют и где находятся.
offices-count = Таможенных органов: { $count }
offices-map-title = Карта таможенных органов
offices-map-caption = Каждая точка — таможенный орган по его координатам; цвет обозначает страну.
offices-no-coordinates = В справочных данных нет координат таможенных органов, поэтому показан только список.
offices-list-caption = Таможенные органы и их функции
offices-col-code = Код
offices-col-name = Наименование
offices-col-place = Место
offices-col-roles = Функции
offices-col-coordinates = Координаты
offices-hours-note = Часы работы указаны по местному времени таможенного органа: Кыргызстан UTC+6, Казахстан и Узбекистан UTC+5 (без летнего времени). «Открыто сейчас» — по опубликованным часам на момент формирования страницы; праздничные дни не учитываются. Часы работы и услуги — демонстрационные значения.
offices-col-hours = Часы работы
offices-col-services = Услуги
offices-hours-always = Круглосуточно
offices-hours-none = Не опубликованы
offices-open-now = Открыто сейчас
offices-closed-now = Сейчас закрыто
office-day-mo = Пн
office-day-tu = Вт
office-day-we = Ср
office-day-th = Чт
office-day-fr = Пт
office-day-sa = Сб
office-day-su = Вс
office-service-import = выпуск для внутреннего потребления
office-service-export = экспорт
office-service-transit = транзит
office-service-storage = временное хранение и таможенные склады
office-service-guarantee = обеспечение уплаты платежей
office-service-ruling = предварительные решения по классификации и происхождению
office-service-audit = таможенный контроль после выпуска
office-service-lab = таможенная лаборатория
office-service-vet = ветеринарный контроль
office-service-phyto = фитосанитарный контроль
office-service-passenger = пассажиры
office-service-excise = акцизные марки
offices-east = { $deg }° в. д.
offices-north = { $deg }° с. ш.
office-role-DEP = отправление
office-role-DES = назначение
office-role-TRA = транзит
office-role-EXT = убытие
office-role-ENT = прибытие
office-role-IMP = импорт
office-role-EXP = экспорт
office-role-GUA = обеспечение
office-role-RSS = риски и надзор

## Состояние сервиса

status-title = Состояние сервиса
status-lead = Что этот экземпляр сервиса сообщает о себе.
status-database = База данных
status-database-ok = доступна
status-database-down = недоступна
status-version = Версия
status-uptime = Работает
status-tariff = Действующий тариф
status-machine = Для систем мониторинга:
status-days = { $n } дн
status-hours = { $n } ч
status-minutes = { $n } мин

## Страницы ошибок

error-page-status = Код ответа
error-page-request-id = Идентификатор запроса
error-page-home = На главную
error-page-400-title = Запрос не распознан
error-page-400-text = Что-то в адресе или в форме указано не в том формате.
error-page-401-title = Войдите в систему
error-page-401-text = Эта страница доступна только после входа.
error-page-403-title = Доступ запрещён
error-page-403-text = Вашей учётной записи нельзя открывать эту страницу.
error-page-404-title = Страница не найдена
error-page-404-text = По этому адресу страницы нет. Проверьте адрес или начните с главной страницы.
error-page-405-title = Так нельзя
error-page-405-text = Эту страницу нельзя использовать таким способом.
error-page-408-title = Слишком долго
error-page-408-text = Запрос не пришёл вовремя. Попробуйте ещё раз.
error-page-413-title = Слишком большой запрос
error-page-413-text = Отправлено больше, чем принимает сервис.
error-page-429-title = Слишком много запросов
error-page-429-text = Подождите немного и попробуйте снова.
error-page-500-title = Что-то пошло не так
error-page-500-text = Сервис не смог показать эту страницу. Идентификатор запроса ниже позволяет найти причину в журнале сервиса.
error-page-503-title = Сервис недоступен
error-page-503-text = Сервис сейчас не может ответить. Попробуйте позже.

# Слова расчёта платежей в основе начисления.
engine-customs-value = таможенная стоимость
engine-duties = пошлины
engine-excise = акциз
