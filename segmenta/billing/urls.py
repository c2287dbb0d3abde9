app_name = "billing"

urlpatterns = []
