# Уведомления по одной декларации на странице декларации участника.

td-notes = Уведомления
td-notes-none = Уведомлений по этой декларации вам не отправлялось.
td-note-due = к оплате { $amount }; укажите платёжный код { $reference }
td-note-automatic = выпущено автоматически
td-note-registered = Принята и зарегистрирована
td-note-rejected = Отклонена
td-note-under-control = Выбрана для контроля
td-note-duties-assessed = Платежи исчислены
td-note-awaiting-payment = Ожидает оплаты
td-note-released = Выпущена
td-note-refused = Отказано в выпуске
td-note-invalidated = Отозвана
td-note-amended = Изменение принято
td-note-request-rejected = Запрос отклонён
td-note-signing-key-added = Ключ подписи зарегистрирован
td-note-operator-approved = Регистрация одобрена
td-note-signing-key-revoked = Ключ подписи отозван
td-note-appeal-lodged = Жалоба подана
td-note-appeal-decided = Жалоба рассмотрена
