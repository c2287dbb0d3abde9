app_name = "scheduling"

urlpatterns = []
